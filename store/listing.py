"""The ticket list: filters over the read model, keyset pagination on (created_at, ticket_no)."""

import re
from datetime import UTC, datetime, timedelta

import asyncpg
from pydantic import BaseModel, Field

from domain.enums import Category, Channel, Kind, Priority, Status
from domain.masking import mask_name


class BadCursor(ValueError):
    """A cursor this module did not hand out."""


class TicketFilter(BaseModel):
    """Every filter is optional; the scope fields come from the caller's key, never from the caller."""

    status: Status | None = None
    priority: Priority | None = None
    kind: Kind | None = None
    category: Category | None = None
    team: str | None = None
    assignee: str | None = None
    escalation_level: int | None = None
    breached: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    q: str | None = None
    scope_assignee: str | None = None
    scope_team: str | None = None
    scope_teams: list[str] | None = None
    scope_channel: Channel | None = None


class TicketSummary(BaseModel):
    """One row of the list; the customer appears as a masked name only."""

    ticket_no: str
    status: Status
    priority: Priority
    kind: Kind
    category: Category
    channel: Channel
    customer_display: str
    team: str | None = None
    assignee: str | None = None
    escalation_level: int = 0
    sla_breached: bool = False
    resolve_due: datetime | None = None
    created_at: datetime
    closed_at: datetime | None = None


class TicketPage(BaseModel):
    items: list[TicketSummary]
    next_cursor: str | None = Field(default=None, description="pass as `cursor` for the next page")


# `<microseconds since the epoch>~<ticket number>`: every text of this form is a place in the list, so
# the schema's pattern says exactly which cursors are accepted.
CURSOR_PATTERN = r"^[0-9]{1,17}~[0-9A-Za-z-]{1,32}$"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_cursor(created_at: datetime, ticket_no: str) -> str:
    return f"{(created_at - _EPOCH) // timedelta(microseconds=1)}~{ticket_no}"


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    if not re.match(CURSOR_PATTERN, cursor):
        raise BadCursor("cursor is not one this API handed out")
    micros, ticket_no = cursor.split("~", 1)
    return _EPOCH + timedelta(microseconds=int(micros)), ticket_no


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_tickets(pool: asyncpg.Pool, f: TicketFilter, limit: int, cursor: str | None) -> TicketPage:
    """Raises BadCursor for a cursor that does not decode."""
    where: list[str] = []
    args: list[object] = []

    def add(clause: str, value: object) -> None:
        args.append(value)
        where.append(clause.replace("?", f"${len(args)}"))

    for column, value in (
        ("status", f.status),
        ("priority", f.priority),
        ("kind", f.kind),
        ("category", f.category),
        ("channel", f.scope_channel),
    ):
        if value is not None:
            add(f"t.{column} = ?", value.value)
    if f.team is not None:
        add("t.team = ?", f.team)
    if f.assignee is not None:
        add("t.assignee = ?", f.assignee)
    if f.escalation_level is not None:
        add("t.escalation_level = ?", f.escalation_level)
    if f.breached is not None:
        add("t.sla_breached = ?", f.breached)
    if f.created_from is not None:
        add("t.created_at >= ?", f.created_from)
    if f.created_to is not None:
        add("t.created_at < ?", f.created_to)
    if f.q:
        add("t.description ILIKE ?", _like(f.q))
    if f.scope_assignee is not None:
        add("t.assignee = ?", f.scope_assignee)
    if f.scope_team is not None:
        add("(t.team = ? OR ? = ANY(t.collaborators))", f.scope_team)  # both ? name the same argument
    if f.scope_teams is not None:
        add("(t.team = ANY(?) OR t.collaborators && ?)", f.scope_teams)
    if cursor is not None:
        at, ticket_no = decode_cursor(cursor)
        args += [at, ticket_no]
        where.append(f"(t.created_at, t.ticket_no) < (${len(args) - 1}, ${len(args)})")
    args.append(limit + 1)
    sql = (
        "SELECT t.ticket_no, t.status, t.priority, t.kind, t.category, t.channel, c.name, t.team, t.assignee,"
        " t.escalation_level, t.sla_breached, t.resolve_due, t.created_at, t.closed_at"
        " FROM tickets t JOIN customers c ON c.id = t.customer_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" ORDER BY t.created_at DESC, t.ticket_no DESC LIMIT ${len(args)}"
    )
    rows = await pool.fetch(sql, *args)
    items = [
        TicketSummary(
            ticket_no=r["ticket_no"],
            status=Status(r["status"]),
            priority=Priority(r["priority"]),
            kind=Kind(r["kind"]),
            category=Category(r["category"]),
            channel=Channel(r["channel"]),
            customer_display=mask_name(r["name"]),
            team=r["team"],
            assignee=r["assignee"],
            escalation_level=r["escalation_level"],
            sla_breached=r["sla_breached"],
            resolve_due=r["resolve_due"],
            created_at=r["created_at"],
            closed_at=r["closed_at"],
        )
        for r in rows[:limit]
    ]
    next_cursor = encode_cursor(items[-1].created_at, items[-1].ticket_no) if len(rows) > limit else None
    return TicketPage(items=items, next_cursor=next_cursor)
