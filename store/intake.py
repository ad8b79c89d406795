"""Intake persistence: ticket numbers (`YYYYMM-NNNNNN`, a sequence per month), customer and ticket rows.

Idempotent per (channel, external_id).
"""

from datetime import datetime

import asyncpg
from pydantic import BaseModel

from domain.classification import Sorted
from domain.enums import Category, Channel, CustomerType, Kind, Priority, Status
from domain.intake import Customer, IntakeRequest
from store import customers
from store.customers import EarlierContacts


class NewTicket(BaseModel):
    """What the API decided at intake, beyond the integrator's request."""

    request: IntakeRequest
    kind: Kind | None = None  # as intake sorted it; None: as requested
    category: Category | None = None
    priority: Priority
    opened_at: datetime
    response_due: datetime | None = None
    resolve_due: datetime | None = None
    repeat_since: datetime | None = None  # same customer and category since then: a repeat contact
    follow_up_of: str | None = None
    sorted: Sorted | None = None  # how intake sorted a ticket sent without category or kind

    def labels(self) -> tuple[Kind, Category]:
        """The kind and category the ticket opens with: as intake sorted them, else as requested."""
        kind, category = self.kind or self.request.kind, self.category or self.request.category
        if kind is None or category is None:
            raise ValueError("a ticket opens with a kind and a category: sort it first")
        return kind, category


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
    repeat_count: int = 0
    repeat_of: str | None = None
    follow_up_of: str | None = None
    external_id: str = ""
    description: str = ""
    request: str | None = None
    closed_at: datetime | None = None
    needs_triage: bool = False
    classification: Sorted | None = None


_SELECT = """
SELECT t.ticket_no, t.workflow_started, t.channel, t.kind, t.category, t.priority, t.status, t.customer_id,
       t.created_at, t.product, t.order_batch, t.team, t.assignee,
       t.ack_due, t.response_due, t.resolve_due, t.update_due, t.repeat_count, t.repeat_of, t.follow_up_of,
       t.external_id, t.description, t.request, t.closed_at, t.needs_triage,
       t.classification,
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
            id=None,
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
        repeat_count=row["repeat_count"],
        repeat_of=row["repeat_of"],
        follow_up_of=row["follow_up_of"],
        external_id=row["external_id"],
        description=row["description"],
        request=row["request"],
        closed_at=row["closed_at"],
        needs_triage=row["needs_triage"],
        classification=Sorted.model_validate(row["classification"]) if row["classification"] else None,
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


# The ticket with its number in one statement ($1 = 'YYYYMM' for the number).
_INSERT = (
    f"WITH n AS ({_NEXT_NO})"
    " INSERT INTO tickets (ticket_no, channel, external_id, customer_id, kind, category, priority,"
    " status, description, request, occurred_at, product, order_batch, response_due, resolve_due,"
    " created_at, updated_at, repeat_count, repeat_of, follow_up_of, needs_triage, classification)"
    " SELECT n.ticket_no, $2, $3, $16, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15,"
    " $17, $18, $19, $20, $21 FROM n RETURNING ticket_no"
)


async def open_ticket(pool: asyncpg.Pool, new: NewTicket) -> IntakeRecord:
    """Find or add the customer and insert the ticket, or answer the one already opened for (channel,
    external_id).

    Identical concurrent requests queue on a transaction-scoped advisory lock keyed by (channel,
    external_id), so only the first allocates a number: no gaps from lost races, no orphan customers.
    """
    req, c = new.request, new.request.customer
    kind, category = new.labels()
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            f"{req.channel.value}\x1f{req.external_id}",
        )
        row = await conn.fetchrow(_SELECT + _BY_EXTERNAL_ID, req.channel.value, req.external_id)
        if row is not None:
            return _record(row, created=False)
        customer_id = await customers.resolve(conn, c)
        earlier = EarlierContacts(count=0)
        if new.repeat_since is not None:
            earlier = await customers.earlier_contacts(conn, customer_id, category, new.repeat_since)
        ticket_no = await conn.fetchval(
            _INSERT,
            new.opened_at.strftime("%Y%m"),
            req.channel.value,
            req.external_id,
            kind.value,
            category.value,
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
            customer_id,
            earlier.count,
            earlier.latest,
            new.follow_up_of,
            new.sorted is not None and new.sorted.needs_triage,
            new.sorted.model_dump(mode="json") if new.sorted is not None else None,
        )
    # What was just written, as a read would find it: no second round trip to read it back.
    return IntakeRecord(
        ticket_no=ticket_no,
        created=True,
        workflow_started=False,
        channel=req.channel,
        kind=kind,
        category=category,
        priority=new.priority,
        status=Status.NEW,
        customer_id=customer_id,
        customer=c,
        opened_at=new.opened_at,
        product=req.product,
        order_batch=req.order_batch,
        response_due=new.response_due,
        resolve_due=new.resolve_due,
        repeat_count=earlier.count,
        repeat_of=earlier.latest,
        follow_up_of=new.follow_up_of,
        external_id=req.external_id,
        description=req.description,
        request=req.request,
        needs_triage=new.sorted is not None and new.sorted.needs_triage,
        classification=new.sorted,
    )


async def mark_workflow_started(pool: asyncpg.Pool, ticket_no: str) -> None:
    await pool.execute("UPDATE tickets SET workflow_started = true WHERE ticket_no = $1", ticket_no)


async def get_record(pool: asyncpg.Pool, ticket_no: str) -> IntakeRecord | None:
    row = await pool.fetchrow(_SELECT + " WHERE t.ticket_no = $1", ticket_no)
    return _record(row, created=False) if row else None
