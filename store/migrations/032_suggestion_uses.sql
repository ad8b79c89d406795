-- Suggested answers (issue 21): which suggestion a holder used on which ticket, so reports can say how often
-- suggestions helped. One row a (ticket, suggestion): using it twice is still one use.
CREATE TABLE suggestion_uses (
    ticket_no  text NOT NULL,
    source     text NOT NULL CHECK (source IN ('article', 'ticket')),
    ref        text NOT NULL,
    used_by    text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_no, source, ref)
);
