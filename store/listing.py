"""The ticket list: filters over the read model, keyset pagination on (created_at, ticket_no), or the work
list: nearest deadline first, then priority (keyset on the same three)."""

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import asyncpg
from pydantic import BaseModel, Field

from domain.enums import Category, Channel, Kind, Priority, Status
from domain.masking import mask_name


class BadCursor(ValueError):
    """A cursor this module did not hand out."""


class Sort(StrEnum):
    CREATED = "created"  # newest first
    DUE = "due"  # the work list: nearest deadline first, then the higher priority


# The nearest of the running targets' deadlines and which it is; these expressions are indexed (051).
NEXT_DUE = "LEAST(t.ack_due, t.response_due, t.resolve_due, t.update_due)"
NEXT_DUE_KIND = (
    "CASE LEAST(t.ack_due, t.response_due, t.resolve_due, t.update_due)"
    " WHEN t.ack_due THEN 'ack' WHEN t.response_due THEN 'response'"
    " WHEN t.resolve_due THEN 'resolve' WHEN t.update_due THEN 'update' END"
)
# Tickets without a running target sort after every dated one.
NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)
DUE_KEY = f"coalesce({NEXT_DUE}, '9999-12-31 00:00+00'::timestamptz)"
RANK_KEY = "CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END"


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
    due_within_hours: int | None = None
    needs_triage: bool | None = None
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
    next_due: datetime | None = Field(default=None, description="the nearest running target's deadline")
    next_due_kind: str | None = Field(
        default=None, description="which target: ack, response, resolve, update"
    )
    created_at: datetime
    closed_at: datetime | None = None


class TicketPage(BaseModel):
    items: list[TicketSummary]
    next_cursor: str | None = Field(default=None, description="pass as `cursor` for the next page")


# `<microseconds since the epoch>~[<rank>~]<ticket number>`: every text of this form is a place in the
# list (the rank, the work list's, counts as 0 when absent), so the schema's pattern says which are accepted.
CURSOR_PATTERN = r"^[0-9]{1,18}~([0-9]{1,3}~)?[0-9A-Za-z-]{1,32}$"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A time past the last a datetime holds is a place past the end of every list.
_LAST = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)


def encode_cursor(created_at: datetime, ticket_no: str, rank: int | None = None) -> str:
    """(created_at, ticket_no) for the newest-first list; (due, rank, ticket_no) for the work list."""
    micros = (created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}~{ticket_no}" if rank is None else f"{micros}~{rank}~{ticket_no}"


def decode_cursor(cursor: str, sort: Sort = Sort.CREATED) -> tuple[datetime, int, str]:
    """The cursor's time, rank (0 for the newest-first list) and ticket number."""
    if not re.match(CURSOR_PATTERN, cursor):
        raise BadCursor("cursor is not one this API handed out")
    micros, *rest = cursor.split("~")
    rank = int(rest[0]) if len(rest) == 2 and sort is Sort.DUE else 0
    return _EPOCH + timedelta(microseconds=min(int(micros), _LAST)), rank, rest[-1]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def list_tickets(
    pool: asyncpg.Pool, f: TicketFilter, limit: int, cursor: str | None, sort: Sort = Sort.CREATED
) -> TicketPage:
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
    if f.due_within_hours is not None:
        add(f"{NEXT_DUE} <= now() + make_interval(hours => ?)", f.due_within_hours)
    if f.needs_triage is not None:
        # Set in the view by classification when it is unsure (DESIGN: needs_triage); absent means no.
        add("coalesce((t.view ->> 'needs_triage')::boolean, false) = ?", f.needs_triage)
    if f.scope_assignee is not None:
        add("t.assignee = ?", f.scope_assignee)
    if f.scope_team is not None:
        add("(t.team = ? OR ? = ANY(t.collaborators))", f.scope_team)  # both ? name the same argument
    if f.scope_teams is not None:
        add("(t.team = ANY(?) OR t.collaborators && ?)", f.scope_teams)
    if cursor is not None:
        at, rank, ticket_no = decode_cursor(cursor, sort)
        if sort is Sort.DUE:
            args += [at, rank, ticket_no]
            n = len(args)
            where.append(f"({DUE_KEY}, {RANK_KEY}, t.ticket_no) > (${n - 2}, ${n - 1}, ${n})")
        else:
            args += [at, ticket_no]
            where.append(f"(t.created_at, t.ticket_no) < (${len(args) - 1}, ${len(args)})")
    args.append(limit + 1)
    order = (
        f"{DUE_KEY}, {RANK_KEY}, t.ticket_no" if sort is Sort.DUE else "t.created_at DESC, t.ticket_no DESC"
    )
    sql = (
        "SELECT t.ticket_no, t.status, t.priority, t.kind, t.category, t.channel, c.name, t.team, t.assignee,"
        " t.escalation_level, t.sla_breached, t.resolve_due, t.created_at, t.closed_at,"
        f" {NEXT_DUE} AS next_due, {NEXT_DUE_KIND} AS next_due_kind, {RANK_KEY} AS rank"
        " FROM tickets t JOIN customers c ON c.id = t.customer_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" ORDER BY {order} LIMIT ${len(args)}"
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
            next_due=r["next_due"],
            next_due_kind=r["next_due_kind"],
            created_at=r["created_at"],
            closed_at=r["closed_at"],
        )
        for r in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        if sort is Sort.DUE:
            next_cursor = encode_cursor(last["next_due"] or NO_DUE, last["ticket_no"], last["rank"])
        else:
            next_cursor = encode_cursor(last["created_at"], last["ticket_no"])
    return TicketPage(items=items, next_cursor=next_cursor)
