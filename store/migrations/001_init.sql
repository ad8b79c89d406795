-- The persistence model of DESIGN.md: what outlives a workflow and what people search.

CREATE TABLE customers (
    id                bigserial PRIMARY KEY,
    name              text NOT NULL,
    phone             text,
    email             text,
    type              text NOT NULL,
    tier              text NOT NULL,
    preferred_contact text,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ticket_counters (
    month text PRIMARY KEY,          -- 'YYYYMM'
    last  integer NOT NULL
);

CREATE TABLE teams (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    department text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE members (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    role        text NOT NULL CHECK (role IN ('agent', 'supervisor', 'head', 'director')),
    team_id     text REFERENCES teams(id),
    department  text,
    on_duty     boolean NOT NULL DEFAULT true,
    capacity    integer NOT NULL DEFAULT 10 CHECK (capacity >= 0),
    open_count  integer NOT NULL DEFAULT 0 CHECK (open_count >= 0),
    email       text,
    webhook_url text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX members_team_idx ON members (team_id, role, on_duty, open_count);

-- The read model: one row a ticket, written at intake by the API and kept current by activities.
CREATE TABLE tickets (
    ticket_no        text PRIMARY KEY,
    channel          text NOT NULL,
    external_id      text NOT NULL,
    customer_id      bigint NOT NULL REFERENCES customers(id),
    kind             text NOT NULL,
    category         text NOT NULL,
    priority         text NOT NULL,
    status           text NOT NULL,
    team             text,
    collaborators    text[] NOT NULL DEFAULT '{}',
    assignee         text,
    escalation_level integer NOT NULL DEFAULT 0,
    sla_breached     boolean NOT NULL DEFAULT false,
    description      text NOT NULL,
    request          text,
    occurred_at      timestamptz,
    product          text,
    order_batch      text,
    ack_due          timestamptz,
    response_due     timestamptz,
    resolve_due      timestamptz,
    update_due       timestamptz,
    workflow_started boolean NOT NULL DEFAULT false,
    -- event seq of the last state written; an older (retried, reordered) write never overwrites a newer one
    state_seq        integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    closed_at        timestamptz,
    UNIQUE (channel, external_id)
);
CREATE INDEX tickets_created_idx ON tickets (created_at DESC, ticket_no DESC);
CREATE INDEX tickets_status_idx ON tickets (status, created_at DESC);
CREATE INDEX tickets_assignee_idx ON tickets (assignee, created_at DESC);
CREATE INDEX tickets_team_idx ON tickets (team, created_at DESC);

-- Timeline; (ticket_no, seq) makes every retried event write a no-op.
CREATE TABLE ticket_events (
    ticket_no text NOT NULL,
    seq       integer NOT NULL,
    at        timestamptz NOT NULL,
    type      text NOT NULL,
    actor     text,
    data      jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (ticket_no, seq)
);

-- One row per assignment round, so a retried assignment never counts a ticket twice against a member.
CREATE TABLE assignments (
    ticket_no text NOT NULL,
    round     integer NOT NULL,
    member_id text REFERENCES members(id),
    team_id   text NOT NULL,
    at        timestamptz NOT NULL DEFAULT now(),
    released  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (ticket_no, round)
);

-- Every notification sent, keyed so a retried activity never sends or records one twice.
CREATE TABLE notifications (
    key          text PRIMARY KEY,
    ticket_no    text NOT NULL,
    recipient    text NOT NULL,
    template     text NOT NULL,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz
);
CREATE INDEX notifications_ticket_idx ON notifications (ticket_no);

CREATE TABLE archive (
    ticket_no   text PRIMARY KEY,
    record      jsonb NOT NULL,
    closed_at   timestamptz NOT NULL,
    archived_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX archive_closed_idx ON archive (closed_at);

CREATE TABLE api_keys (
    id         bigserial PRIMARY KEY,
    key_hash   text NOT NULL UNIQUE,
    role       text NOT NULL CHECK (role IN ('integrator', 'agent', 'supervisor', 'admin')),
    member_id  text REFERENCES members(id),
    channel    text,
    label      text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

CREATE TABLE incidents (
    id         bigserial PRIMARY KEY,
    category   text NOT NULL,
    product    text,
    order_batch text,
    team       text,
    status     text NOT NULL DEFAULT 'open',
    opened_at  timestamptz NOT NULL DEFAULT now(),
    closed_at  timestamptz
);
CREATE TABLE incident_tickets (
    incident_id bigint NOT NULL REFERENCES incidents(id),
    ticket_no   text NOT NULL,
    PRIMARY KEY (incident_id, ticket_no)
);

CREATE TABLE reports (
    kind       text NOT NULL,
    period     text NOT NULL,
    body       jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, period)
);

CREATE TABLE audit_log (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text NOT NULL,
    ticket_no text NOT NULL,
    what      text NOT NULL
);
CREATE INDEX audit_ticket_idx ON audit_log (ticket_no, at);
