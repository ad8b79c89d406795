-- Suggested answers in the reports (issue 21): the tickets whose holder was shown suggestions (first time
-- only), beside the uses of 032, so a period's report says how often suggestions were used and helped.
CREATE TABLE suggestion_shown (
    ticket_no      text PRIMARY KEY,
    first_shown_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX suggestion_shown_at ON suggestion_shown (first_shown_at);
CREATE INDEX suggestion_uses_at ON suggestion_uses (at);
