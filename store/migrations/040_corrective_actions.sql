-- Corrective actions (seeds 003, 004): opened from a root cause or an incident, each run by its own workflow;
-- this row is what the API lists and the reports count, written by the workflow's activity.
CREATE TABLE corrective_actions (
    id          bigserial PRIMARY KEY,
    ticket_no   text,
    incident_id bigint,
    category    text NOT NULL,
    product     text,
    owner       text NOT NULL,
    team        text NOT NULL,
    change      text NOT NULL,
    due_at      timestamptz NOT NULL,
    status      text NOT NULL DEFAULT 'open',
    opened_by   text NOT NULL,
    opened_at   timestamptz NOT NULL DEFAULT now(),
    done_at     timestamptz,
    done_by     text,
    evidence    text,
    effects     jsonb NOT NULL DEFAULT '[]',
    -- the workflow's step that wrote the row: a retried, older write never overwrites a newer one
    step        integer NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX corrective_actions_opened_idx ON corrective_actions (opened_at);
CREATE INDEX corrective_actions_done_idx ON corrective_actions (done_at);
-- The effect check counts a category's (and product's) tickets by when they were opened.
CREATE INDEX tickets_category_created_idx ON tickets (category, created_at);
