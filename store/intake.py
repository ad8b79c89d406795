"""Intake persistence: ticket numbers (`YYYYMM-NNNNNN`, a sequence per month), customer and ticket rows.

Idempotent per (channel, external_id).
"""

from datetime import datetime

import asyncpg
from pydantic import BaseModel

from domain.enums import Category, Channel, CustomerType, Kind, Priority, Status
from domain.intake import Customer, IntakeRequest


class NewTicket(BaseModel):
    """What the API decided at intake, beyond the integrator's request."""

    request: IntakeRequest
    priority: Priority
    opened_at: datetime
    response_due: datetime | None = None
    resolve_due: datetime | None = None


class IntakeRecord(BaseModel):
    """One ticket as intake knows it: enough to (re)start its workflow and to answer the integrator."""

    ticket_no: str
    created: bool
    workflow_started: bool
    channel: Channel
    kind: Kind
    category: Category
    priority: Priority
    status: Status
    customer_id: int
    customer: Customer
    opened_at: datetime
    product: str | None = None
    order_batch: str | None = None
    team: str | None = None
    assignee: str | None = None
    ack_due: datetime | None = None
    response_due: datetime | None = None
    resolve_due: datetime | None = None
    update_due: datetime | None = None


_SELECT = """
SELECT t.ticket_no, t.workflow_started, t.channel, t.kind, t.category, t.priority, t.status, t.customer_id,
       t.created_at, t.product, t.order_batch, t.team, t.assignee,
       t.ack_due, t.response_due, t.resolve_due, t.update_due,
       c.name, c.phone, c.email, c.type, c.tier, c.preferred_contact
FROM tickets t JOIN customers c ON c.id = t.customer_id
"""


_BY_EXTERNAL_ID = " WHERE t.channel = $1 AND t.external_id = $2"


def _record(row: asyncpg.Record, created: bool) -> IntakeRecord:
    return IntakeRecord(
        ticket_no=row["ticket_no"],
        created=created,
        workflow_started=row["workflow_started"],
        channel=Channel(row["channel"]),
        kind=Kind(row["kind"]),
        category=Category(row["category"]),
        priority=Priority(row["priority"]),
        status=Status(row["status"]),
        customer_id=row["customer_id"],
        customer=Customer.model_construct(
            name=row["name"],
            phone=row["phone"],
            email=row["email"],
            type=CustomerType(row["type"]),
            tier=row["tier"],
            preferred_contact=Channel(row["preferred_contact"]) if row["preferred_contact"] else None,
        ),
        opened_at=row["created_at"],
        product=row["product"],
        order_batch=row["order_batch"],
        team=row["team"],
        assignee=row["assignee"],
        ack_due=row["ack_due"],
        response_due=row["response_due"],
        resolve_due=row["resolve_due"],
        update_due=row["update_due"],
    )


# The month's next number ($1 = 'YYYYMM'). Its counter row is the lock that keeps numbers gapless, which
# every intake of the month waits for: taken in the ticket's insert, so held for one statement.
_NEXT_NO = (
    "INSERT INTO ticket_counters (month, last) VALUES ($1, 1)"
    " ON CONFLICT (month) DO UPDATE SET last = ticket_counters.last + 1"
    " RETURNING $1 || '-' || lpad(last::text, greatest(6, length(last::text)), '0') AS ticket_no"
)


async def allocate_ticket_no(
    conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, at: datetime
) -> str:
    """The next number of `at`'s month; unique under any concurrency (the counter row is the lock)."""
    ticket_no: str = await conn.fetchval(_NEXT_NO, at.strftime("%Y%m"))
    return ticket_no


# The customer and the ticket in one statement ($1 = 'YYYYMM' for the number; the customer's $16…$21).
_INSERT = (
    f"WITH n AS ({_NEXT_NO}), c AS ("
    " INSERT INTO customers (name, phone, email, type, tier, preferred_contact)"
    " VALUES ($16, $17, $18, $19, $20, $21) RETURNING id)"
    " INSERT INTO tickets (ticket_no, channel, external_id, customer_id, kind, category, priority,"
    " status, description, request, occurred_at, product, order_batch, response_due, resolve_due,"
    " created_at, updated_at)"
    " SELECT n.ticket_no, $2, $3, c.id, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15"
    " FROM n, c RETURNING ticket_no, customer_id"
)


async def open_ticket(pool: asyncpg.Pool, new: NewTicket) -> IntakeRecord:
    """Insert the customer and the ticket, or answer the ticket already opened for (channel, external_id).

    Identical concurrent requests queue on a transaction-scoped advisory lock keyed by (channel,
    external_id), so only the first allocates a number: no gaps from lost races, no orphan customers.
    """
    req, c = new.request, new.request.customer
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            f"{req.channel.value}\x1f{req.external_id}",
        )
        row = await conn.fetchrow(_SELECT + _BY_EXTERNAL_ID, req.channel.value, req.external_id)
        if row is not None:
            return _record(row, created=False)
        row = await conn.fetchrow(
            _INSERT,
            new.opened_at.strftime("%Y%m"),
            req.channel.value,
            req.external_id,
            req.kind.value,
            req.category.value,
            new.priority.value,
            Status.NEW.value,
            req.description,
            req.request,
            req.occurred_at,
            req.product,
            req.order_batch,
            new.response_due,
            new.resolve_due,
            new.opened_at,
            c.name,
            c.phone,
            c.email,
            c.type.value,
            c.tier,
            c.preferred_contact.value if c.preferred_contact else None,
        )
    assert row is not None
    # What was just written, as a read would find it: no second round trip to read it back.
    return IntakeRecord(
        ticket_no=row["ticket_no"],
        created=True,
        workflow_started=False,
        channel=req.channel,
        kind=req.kind,
        category=req.category,
        priority=new.priority,
        status=Status.NEW,
        customer_id=row["customer_id"],
        customer=c,
        opened_at=new.opened_at,
        product=req.product,
        order_batch=req.order_batch,
        response_due=new.response_due,
        resolve_due=new.resolve_due,
    )


async def mark_workflow_started(pool: asyncpg.Pool, ticket_no: str) -> None:
    await pool.execute("UPDATE tickets SET workflow_started = true WHERE ticket_no = $1", ticket_no)
