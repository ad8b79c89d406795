"""A ticket's event and the read model it leaves (one `tickets` row a ticket, never overwritten by an
older state: `state_seq`), written together in one statement."""

from datetime import datetime
from typing import Any

from domain.ticket import TicketView
from store.timeline import Executor

# One statement, so one transaction and one round trip however many events a step has: the events from one
# JSON array ($2), the row moved once to the state they leave ($3: the last event's sequence number).
_RECORD = (
    "WITH event AS ("
    " INSERT INTO ticket_events (ticket_no, seq, at, type, actor, data)"
    " SELECT $1, e.seq, e.at, e.type, e.actor, coalesce(e.data, '{}') FROM jsonb_to_recordset($2::jsonb)"
    " AS e(seq integer, at timestamptz, type text, actor text, data jsonb)"
    " ON CONFLICT (ticket_no, seq) DO NOTHING RETURNING 1"
    "), state AS ("
    " INSERT INTO tickets (ticket_no, channel, external_id, customer_id, kind, category, priority, status,"
    " team, collaborators, assignee, escalation_level, sla_breached, description, ack_due,"
    " response_due, resolve_due, update_due, workflow_started, state_seq, updated_at, closed_at, view,"
    " needs_triage)"
    " VALUES ($1, $4, $1, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, '', $15, $16, $17, $18, true, $3,"
    " now(), $19, $20, $21)"
    " ON CONFLICT (ticket_no) DO UPDATE SET priority = EXCLUDED.priority, status = EXCLUDED.status,"
    " kind = EXCLUDED.kind, category = EXCLUDED.category, needs_triage = EXCLUDED.needs_triage,"
    " team = EXCLUDED.team, collaborators = EXCLUDED.collaborators, assignee = EXCLUDED.assignee,"
    " escalation_level = EXCLUDED.escalation_level, sla_breached = EXCLUDED.sla_breached,"
    " ack_due = EXCLUDED.ack_due, response_due = EXCLUDED.response_due,"
    " resolve_due = EXCLUDED.resolve_due, update_due = EXCLUDED.update_due, workflow_started = true,"
    " state_seq = EXCLUDED.state_seq, updated_at = now(), closed_at = EXCLUDED.closed_at,"
    " view = EXCLUDED.view"
    " WHERE tickets.state_seq < EXCLUDED.state_seq RETURNING 1"
    ") SELECT EXISTS (SELECT 1 FROM event) AS event_written, EXISTS (SELECT 1 FROM state) AS state_written"
)


Event = tuple[int, datetime, str, str | None, dict[str, Any]]


async def record_events(conn: Executor, events: list[Event], view: TicketView) -> tuple[bool, bool]:
    """Events `seq`… of one step and the state they leave, atomically (one statement): the row ends at the
    last event's sequence number. Whether any event and the state were written; a retry writes nothing.
    On a connection in a transaction it joins it (the archive writes a ticket's last step with it)."""
    if not events:
        return False, False
    rows = [
        {"seq": seq, "at": at.isoformat(), "type": type_, "actor": actor, "data": data}
        for seq, at, type_, actor, data in events
    ]
    d = view.deadlines
    row = await conn.fetchrow(
        _RECORD,
        view.ticket_no,
        rows,
        max(seq for seq, *_ in events),
        view.channel.value,
        view.customer.customer_id,
        view.kind.value,
        view.category.value,
        view.priority.value,
        view.status.value,
        view.team,
        view.collaborators,
        view.assignee,
        view.escalation_level,
        view.sla_breached,
        d.ack_due,
        d.response_due,
        d.resolve_due,
        d.update_due,
        view.closed_at,
        view.model_dump(mode="json"),
        view.needs_triage,
    )
    assert row is not None
    return bool(row["event_written"]), bool(row["state_written"])
