-- Intake that classifies (issue 21): how each ticket was sorted, whether a person must sort it, and the
-- corrections re-sorting makes, which are the classifier's next training examples.
ALTER TABLE tickets ADD COLUMN needs_triage boolean NOT NULL DEFAULT false;
ALTER TABLE tickets ADD COLUMN classification jsonb;
CREATE INDEX tickets_needs_triage ON tickets (team) WHERE needs_triage;

CREATE TABLE classification_examples (
    id          bigserial PRIMARY KEY,
    ticket_no   text NOT NULL,
    category    text NOT NULL,
    kind        text NOT NULL,
    corrected_by text NOT NULL,
    reason      text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX classification_examples_ticket ON classification_examples (ticket_no);
