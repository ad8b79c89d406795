"""A ticket's event and the read model it leaves (one `tickets` row a ticket, never overwritten by an
older state: `state_seq`), written together in one statement."""

from datetime import datetime
from typing import Any

import asyncpg

from ticketflow.domain.ticket import TicketView
from ticketflow.store.timeline import Executor

# One statement is one transaction and one round trip: the record activity runs about ten times a ticket,
# and BEGIN, two writes and COMMIT were four.
_RECORD = (
    "WITH event AS ("
    " INSERT INTO ticket_events (ticket_no, seq, at, type, actor, data) VALUES ($1, $2, $3, $4, $5, $6)"
    " ON CONFLICT (ticket_no, seq) DO NOTHING RETURNING 1"
    "), state AS ("
    " INSERT INTO tickets (ticket_no, channel, external_id, customer_id, kind, category, priority, status,"
    " team, collaborators, assignee, escalation_level, sla_breached, description, ack_due,"
    " response_due, resolve_due, update_due, workflow_started, state_seq, updated_at, closed_at, view)"
    " VALUES ($1, $7, $1, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, '', $18, $19, $20, $21, true, $2,"
    " now(), $22, $23)"
    " ON CONFLICT (ticket_no) DO UPDATE SET priority = EXCLUDED.priority, status = EXCLUDED.status,"
    " team = EXCLUDED.team, collaborators = EXCLUDED.collaborators, assignee = EXCLUDED.assignee,"
    " escalation_level = EXCLUDED.escalation_level, sla_breached = EXCLUDED.sla_breached,"
    " ack_due = EXCLUDED.ack_due, response_due = EXCLUDED.response_due,"
    " resolve_due = EXCLUDED.resolve_due, update_due = EXCLUDED.update_due, workflow_started = true,"
    " state_seq = EXCLUDED.state_seq, updated_at = now(), closed_at = EXCLUDED.closed_at,"
    " view = EXCLUDED.view"
    " WHERE tickets.state_seq < EXCLUDED.state_seq RETURNING 1"
    ") SELECT EXISTS (SELECT 1 FROM event) AS event_written, EXISTS (SELECT 1 FROM state) AS state_written"
)


async def record(
    conn: Executor,
    seq: int,
    at: datetime,
    type_: str,
    actor: str | None,
    data: dict[str, Any],
    view: TicketView,
) -> tuple[bool, bool]:
    """Append event `seq` to the timeline and move the row to `view`, atomically. Whether each was
    written: a retry finds both already there and changes nothing.

    The API inserts the row at intake; when it is missing (tests, a lost write) the row is created with
    what the workflow knows.
    """
    d = view.deadlines
    row = await conn.fetchrow(
        _RECORD,
        view.ticket_no,
        seq,
        at,
        type_,
        actor,
        data,
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
    )
    assert row is not None
    return bool(row["event_written"]), bool(row["state_written"])


Event = tuple[int, datetime, str, str | None, dict[str, Any]]


async def record_events(pool: asyncpg.Pool, events: list[Event], view: TicketView) -> tuple[bool, bool]:
    """Events `seq`… of one step and the state they leave, atomically: each event row is written with the
    final state, so the row ends at the last event's sequence number. Whether any event and the state were
    written; a retry writes nothing."""
    if len(events) == 1:
        return await record(pool, *events[0], view)
    async with pool.acquire() as conn, conn.transaction():
        return await record_all(conn, events, view)


async def record_all(conn: Executor, events: list[Event], view: TicketView) -> tuple[bool, bool]:
    """`record_events` inside the caller's transaction (the archive writes a ticket's last step with it)."""
    written = state = False
    for event in events:
        e, s = await record(conn, *event, view)
        written, state = written or e, state or s
    return written, state
