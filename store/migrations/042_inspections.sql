-- Quality inspection (质检, seeds 003, 004): each week a random sample of every agent's closed tickets is
-- offered to their supervisor, who scores it on the rubric (1–5 each).
CREATE TABLE inspections (
    id          bigserial PRIMARY KEY,
    week        text NOT NULL,
    ticket_no   text NOT NULL,
    agent       text NOT NULL,
    team        text,
    offered_at  timestamptz NOT NULL DEFAULT now(),
    scripts     smallint CHECK (scripts BETWEEN 1 AND 5),
    accuracy    smallint CHECK (accuracy BETWEEN 1 AND 5),
    timeliness  smallint CHECK (timeliness BETWEEN 1 AND 5),
    attitude    smallint CHECK (attitude BETWEEN 1 AND 5),
    comment     text,
    scored_by   text,
    scored_at   timestamptz,
    UNIQUE (week, ticket_no)
);
CREATE INDEX inspections_pending_idx ON inspections (team, week) WHERE scored_at IS NULL;
CREATE INDEX inspections_scored_idx ON inspections (scored_at) WHERE scored_at IS NOT NULL;
