"""The tickets read model: one row a ticket, never overwritten by an older state (state_seq)."""

from ticketflow.domain.ticket import TicketView
from ticketflow.store.timeline import Executor


async def write_state(conn: Executor, view: TicketView, seq: int) -> bool:
    """Upsert the row from `view` at event `seq`; a row already at seq or later is left alone.

    The API inserts the row at intake; when it is missing (tests, a lost write) the row is created with
    what the workflow knows.
    """
    d = view.deadlines
    status = await conn.execute(
        "INSERT INTO tickets (ticket_no, channel, external_id, customer_id, kind, category, priority, status,"
        " team, collaborators, assignee, escalation_level, sla_breached, description, ack_due,"
        " response_due, resolve_due, update_due, workflow_started, state_seq, updated_at, closed_at)"
        " VALUES ($1, $2, $1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '', $13, $14, $15, $16, true, $17,"
        " now(), $18)"
        " ON CONFLICT (ticket_no) DO UPDATE SET priority = EXCLUDED.priority, status = EXCLUDED.status,"
        " team = EXCLUDED.team, collaborators = EXCLUDED.collaborators, assignee = EXCLUDED.assignee,"
        " escalation_level = EXCLUDED.escalation_level, sla_breached = EXCLUDED.sla_breached,"
        " ack_due = EXCLUDED.ack_due, response_due = EXCLUDED.response_due,"
        " resolve_due = EXCLUDED.resolve_due, update_due = EXCLUDED.update_due, workflow_started = true,"
        " state_seq = EXCLUDED.state_seq, updated_at = now(), closed_at = EXCLUDED.closed_at"
        " WHERE tickets.state_seq < EXCLUDED.state_seq",
        view.ticket_no,
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
        seq,
        view.closed_at,
    )
    return bool(status.endswith(" 1"))
