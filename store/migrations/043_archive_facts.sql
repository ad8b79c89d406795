-- Each archive record's report fields, typed once when it is archived (issue 22): the weekly and monthly
-- reports add up these narrow rows instead of parsing a period's JSON records at every run.
CREATE TABLE archive_facts (
    ticket_no text PRIMARY KEY REFERENCES archive (ticket_no) ON DELETE CASCADE,
    closed_at timestamptz NOT NULL,  -- archive.closed_at: the period the record counts in
    -- the deadlines, one element a record's entry in its order: clock, and whether it was met
    clocks    text[] NOT NULL,
    met       boolean[] NOT NULL,
    factor    text,
    what      text,  -- trimmed; what_key groups the same issue written in other cases
    what_key  text,
    common    boolean,
    reason    text,
    score     integer,
    solved    boolean,
    reopens   integer NOT NULL,
    requests  integer NOT NULL,
    customer  bigint,
    category  text,
    team      text,
    priority  text,
    assignee  text,
    opened    timestamptz,
    acked     timestamptz,
    responded timestamptz,
    resolved  timestamptz,
    closed    timestamptz,
    -- seconds from opening to each step, as the medians and percentiles sort them
    ack_s     double precision,
    response_s double precision,
    resolve_s double precision,
    close_s   double precision,
    comp      jsonb  -- the ticket's compensation (its last offer and where it stood), when it had one
);
CREATE INDEX archive_facts_closed_idx ON archive_facts (closed_at);

-- The one mapping from a record to its facts: the trigger and the backfill below both use it.
CREATE FUNCTION archive_facts_of(ticket_no text, record jsonb, closed_at timestamptz)
RETURNS SETOF archive_facts LANGUAGE sql STABLE AS $$
SELECT f.ticket_no, f.closed_at, f.clocks, f.met, f.factor, f.what, f.what_key, f.common, f.reason, f.score,
       f.solved, f.reopens, f.requests, f.customer, f.category, f.team, f.priority, f.assignee, f.opened,
       f.acked, f.responded, f.resolved, f.closed, extract(epoch FROM acked - opened)::float8,
       extract(epoch FROM responded - opened)::float8, extract(epoch FROM resolved - opened)::float8,
       extract(epoch FROM closed - opened)::float8, f.comp
FROM (
    SELECT ticket_no AS ticket_no, closed_at AS closed_at,
           ARRAY(SELECT o ->> 'clock' FROM jsonb_array_elements(dl) WITH ORDINALITY AS e (o, i) ORDER BY i)
               AS clocks,
           ARRAY(SELECT (o ->> 'met')::boolean FROM jsonb_array_elements(dl) WITH ORDINALITY AS e (o, i) ORDER BY i)
               AS met,
           rc ->> 'factor' AS factor, btrim(rc ->> 'what') AS what, lower(btrim(rc ->> 'what')) AS what_key,
           (rc ->> 'common')::boolean AS common, record ->> 'close_reason' AS reason,
           (sat ->> 'score')::int AS score, (sat ->> 'solved')::boolean AS solved,
           coalesce((t ->> 'reopen_count')::int, 0) AS reopens,
           coalesce((t ->> 'feedback_requests')::int, 0) AS requests,
           (t #>> '{customer,customer_id}')::bigint AS customer, t ->> 'category' AS category,
           t ->> 'team' AS team, t ->> 'priority' AS priority, t ->> 'assignee' AS assignee,
           (t ->> 'opened_at')::timestamptz AS opened, (t ->> 'acknowledged_at')::timestamptz AS acked,
           (t ->> 'first_response_at')::timestamptz AS responded, (t ->> 'resolved_at')::timestamptz AS resolved,
           (t ->> 'closed_at')::timestamptz AS closed, t -> 'compensation' AS comp
    FROM (
        SELECT record -> 'ticket' AS t, record -> 'satisfaction' AS sat, record -> 'root_cause' AS rc,
               CASE WHEN jsonb_typeof(record -> 'deadlines') = 'array' THEN record -> 'deadlines' ELSE '[]' END
                   AS dl
    ) r
) f
$$;

-- Once a statement, not once a row: a bulk load (COPY, an import) types its records in one INSERT, in closing
-- order as live closes write them, so a period's facts lie together and its reports read few pages.
CREATE FUNCTION archive_facts_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO archive_facts
    SELECT f.* FROM added a CROSS JOIN LATERAL archive_facts_of(a.ticket_no, a.record, a.closed_at) f
    ORDER BY a.closed_at;
    RETURN NULL;
END
$$;
CREATE TRIGGER archive_facts_fill AFTER INSERT ON archive
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION archive_facts_fill();

-- The records archived before this migration (the trigger above holds new ones back until it commits).
INSERT INTO archive_facts
SELECT f.* FROM archive a CROSS JOIN LATERAL archive_facts_of(a.ticket_no, a.record, a.closed_at) f
ORDER BY a.closed_at;
