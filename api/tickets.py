"""Reading tickets: the list (read model), one ticket (live view, or the archive), its timeline."""

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Literal

import asyncpg
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, JsonValue, ValidationError

from api.access import check_access
from api.actions import TICKET_NO
from api.auth import Principal, principal
from api.errors import ApiError, ErrorResponse
from api.state import policy_of, pool_of, temporal_of
from api.workflow_calls import WorkflowGone, query_view
from domain.access import scope_of, sees_contact
from domain.boundary import Boundary, IsoDatetime
from domain.enums import ApiRole, Category, Kind, Priority, Status
from domain.masking import mask_text
from domain.sla import DeadlineInCalendar, in_calendars
from domain.ticket import TicketEvent, TicketView
from store import audit, customers, private_texts
from store import notifications as notification_store
from store.listing import CURSOR_PATTERN, BadCursor, Sort, TicketFilter, TicketPage, list_tickets
from store.private_texts import PrivateText
from store.ticket_reads import (
    Contact,
    get_archive_record,
    get_contact,
    get_events,
    get_ticket_row,
)

router = APIRouter(tags=["tickets"])

_READ_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorResponse},
    403: {"model": ErrorResponse, "description": "the ticket is not yours"},
    404: {"model": ErrorResponse, "description": "no such ticket"},
    422: {"model": ErrorResponse},
    503: {"model": ErrorResponse},
}


class TicketQuery(Boundary):
    """Filters of `GET /tickets`; all optional, combined with AND."""

    status: Status | None = None
    priority: Priority | None = None
    kind: Kind | None = None
    category: Category | None = None
    team: str | None = Field(default=None, max_length=64)
    assignee: str | None = Field(default=None, max_length=64)
    escalation_level: int | None = Field(default=None, ge=0, le=3)
    breached: bool | None = None
    created_from: IsoDatetime | None = None
    created_to: IsoDatetime | None = None
    q: str | None = Field(default=None, min_length=1, max_length=200, description="text in the description")
    sort: Sort = Field(
        default=Sort.CREATED, description="`due`: the work list, nearest deadline then priority"
    )
    mine: bool = Field(default=False, description="tickets the caller holds")
    my_team: bool = Field(default=False, description="tickets of the caller's team")
    due_within_hours: int | None = Field(
        default=None, ge=0, le=720, description="nearest deadline within N h"
    )
    needs_triage: bool | None = Field(default=None, description="classification was unsure of its category")
    waiting_for_customer: bool = Field(default=False, description="status waiting_customer")
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(
        default=None, pattern=CURSOR_PATTERN, description="`next_cursor` of the previous page"
    )


class TicketDetail(BaseModel):
    """One ticket: the workflow's view (live, or archived once the workflow is gone) and the intake text.

    `contact`, `typed` and unmasked text only for whoever has the contact right (the holder and the lead
    team's supervisor while open, admins), each read audited; everyone else sees masked forms.
    """

    source: Literal["live", "archive"]
    ticket: TicketView
    description: str
    request: str | None = None
    occurred_at: datetime | None = None
    contact: Contact | None = None
    typed: list[PrivateText] = Field(
        default=[], description="free text as typed before masking: only with the contact right, audited"
    )
    customer_open_tickets: int = Field(default=0, description="the customer's open tickets, this one too")
    customer_recent_tickets: int = Field(default=0, description="their tickets within the repeat window")
    sla: list[DeadlineInCalendar] = Field(
        default=[],
        description="each deadline in the ticket's calendar (business hours or 24x7), working time left",
    )


class NotificationItem(BaseModel):
    """One message of the ticket: to whom, through which channels, how often tried, and where it stands."""

    key: str
    template: str
    audience: str
    recipient: str
    channels: list[str]
    delivered_by: list[str]
    status: Literal["delivered", "pending", "unreachable"]
    attempts: int
    created_at: datetime
    delivered_at: datetime | None = None


class NotificationList(BaseModel):
    items: list[NotificationItem]


class TimelineEvent(TicketEvent):
    """An event and the messages it sent (the received notice at `opened`, the callback at `callback`)."""

    notices: list[NotificationItem] = Field(default=[], description="each with its delivery status")


class EventPage(BaseModel):
    items: list[TimelineEvent]
    next_before_seq: int | None = Field(default=None, description="pass as `before_seq` for older events")


def _scope(caller: Principal, f: TicketFilter) -> TicketFilter | None:
    """Agents list their own tickets, supervisors their teams', heads their department's, integrators
    their channel's; None when the caller can see no ticket at all (a supervisor without a team)."""
    match caller.role:
        case ApiRole.AGENT:
            return f.model_copy(update={"scope_assignee": caller.member_id}) if caller.member_id else None
        case ApiRole.SUPERVISOR:
            return f.model_copy(update={"scope_team": caller.team_id}) if caller.team_id else None
        case ApiRole.HEAD:
            return f.model_copy(update={"scope_teams": caller.teams}) if caller.teams else None
        case ApiRole.INTEGRATOR:
            return f.model_copy(update={"scope_channel": caller.channel})
    return f


@router.get(
    "/tickets",
    response_model=TicketPage,
    responses={401: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
)
async def list_(
    request: Request, query: Annotated[TicketQuery, Query()], caller: Principal = Depends(principal)
) -> TicketPage:
    """Tickets from the read model, newest first or (`sort=due`) as a work list: nearest deadline first,
    then priority; each row names its nearest deadline. Keyset pagination with `cursor`."""
    named = {"limit", "cursor", "sort", "mine", "my_team", "waiting_for_customer"}
    f = TicketFilter(**query.model_dump(exclude=named))
    # A key acting for no member holds no ticket, and one in no team has no team's: empty lists.
    if (query.mine and caller.member_id is None) or (query.my_team and caller.team_id is None):
        return TicketPage(items=[])
    if query.mine:
        f.assignee = caller.member_id
    if query.my_team:
        f.team = caller.team_id
    if query.waiting_for_customer:
        if f.status not in (None, Status.WAITING_CUSTOMER):
            return TicketPage(items=[])
        f.status = Status.WAITING_CUSTOMER
    scoped = _scope(caller, f)
    if scoped is None:
        return TicketPage(items=[])
    try:
        return await list_tickets(pool_of(request), scoped, query.limit, query.cursor, query.sort)
    except BadCursor as e:
        raise ApiError(422, "invalid", str(e), "cursor") from e


def _archived_view(record: dict[str, JsonValue], ticket_no: str) -> TicketView:
    for candidate in (record, record.get("view"), record.get("ticket")):
        if isinstance(candidate, dict):
            try:
                return TicketView.model_validate(candidate)
            except ValidationError:
                continue
    raise ApiError(503, "unavailable", f"the archive record of {ticket_no} cannot be read")


@router.get("/tickets/{ticket_no}", response_model=TicketDetail, responses=_READ_RESPONSES)
async def read(
    request: Request, ticket_no: str = TICKET_NO, caller: Principal = Depends(principal)
) -> TicketDetail:
    """The ticket's live state while its workflow runs, its archive record after."""
    pool = pool_of(request)
    row = await get_ticket_row(pool, ticket_no)
    if row is None:
        raise ApiError(404, "not_found", f"no ticket {ticket_no}")
    source: Literal["live", "archive"] = "live"
    # Postgres answers: an open ticket's view is written before its step's update answers, a closed one's
    # archive in the same transaction as its last step. Only a ticket before its first step asks Temporal.
    record = await get_archive_record(pool, ticket_no) if row.status is Status.CLOSED else None
    if record is not None:
        view, source = _archived_view(record, ticket_no), "archive"
    elif row.view is not None:
        view = row.view
    elif (first := await _first_step_view(pool, ticket_no)) is not None:
        view = first
    else:
        try:
            view = await query_view(temporal_of(request), ticket_no)
        except WorkflowGone:
            record = await get_archive_record(pool, ticket_no)
            if record is None:
                opening = f"ticket {ticket_no} is still being opened; retry"
                raise ApiError(503, "unavailable", opening) from None
            view, source = _archived_view(record, ticket_no), "archive"
    scope = scope_of(view)
    check_access(caller, scope)
    contact, typed = None, []
    private = sees_contact(caller, scope)
    if private:
        contact = await get_contact(pool, row.customer_id)
        typed = await private_texts.of_ticket(pool, ticket_no)
        await audit.record_read(pool, caller.actor, ticket_no, "contact")
    since = datetime.now(UTC) - policy_of(request).customers.repeat_window
    person = await customers.get(pool, row.customer_id, since)
    # The ticket names its calendars; their definitions are the API's policy's (a refresh only adds dates).
    shown = in_calendars(view.deadlines, view.calendars, policy_of(request).calendars, datetime.now(UTC))
    return TicketDetail(
        source=source,
        ticket=view,
        sla=shown,
        description=row.description if private else mask_text(row.description),
        request=row.request if private or row.request is None else mask_text(row.request),
        occurred_at=row.occurred_at,
        contact=contact,
        typed=typed,
        customer_open_tickets=person.open_tickets if person else 0,
        customer_recent_tickets=person.recent_tickets if person else 0,
    )


# A new ticket's first step writes its view within its first workflow task, and Temporal cannot answer a
# query before that task ends either: waiting here costs a row read a try, asking Temporal a server call.
_FIRST_STEP_WAIT_S = 2.0
_FIRST_STEP_POLL_S = 0.05


async def _first_step_view(pool: asyncpg.Pool, ticket_no: str) -> TicketView | None:
    """The view the ticket's first step writes, once written (None after a wait: Temporal is asked)."""
    loop = asyncio.get_running_loop()
    until = loop.time() + _FIRST_STEP_WAIT_S
    while loop.time() < until:
        await asyncio.sleep(_FIRST_STEP_POLL_S)
        row = await get_ticket_row(pool, ticket_no)
        if row is not None and row.view is not None:
            return row.view
    return None


@router.get("/tickets/{ticket_no}/events", response_model=EventPage, responses=_READ_RESPONSES)
async def events(
    request: Request,
    ticket_no: str = TICKET_NO,
    limit: int = Query(default=100, ge=1, le=500),
    before_seq: int | None = Query(default=None, ge=1, le=2**31 - 1),
    caller: Principal = Depends(principal),
) -> EventPage:
    """The ticket's timeline, newest first."""
    pool = pool_of(request)
    row = await get_ticket_row(pool, ticket_no)
    if row is None:
        raise ApiError(404, "not_found", f"no ticket {ticket_no}")
    check_access(caller, scope_of(row))
    events = await get_events(pool, ticket_no, limit, before_seq)
    sent: dict[int, list[NotificationItem]] = {}
    for n in await _notification_items(pool, ticket_no):
        if (seq := _event_seq(n.key)) is not None:
            sent.setdefault(seq, []).append(n)
    items = [TimelineEvent(**e.model_dump(), notices=sent.get(e.seq, [])) for e in events]
    return EventPage(items=items, next_before_seq=items[-1].seq if len(items) == limit else None)


def _event_seq(key: str) -> int | None:
    """The event a message belongs to (`ticket_no:seq:audience:recipient`); None for a message no event
    of this ticket sent (an incident's notice to the supervisor names the incident instead)."""
    parts = key.split(":")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


@router.get("/tickets/{ticket_no}/notifications", response_model=NotificationList, responses=_READ_RESPONSES)
async def notifications(
    request: Request, ticket_no: str = TICKET_NO, caller: Principal = Depends(principal)
) -> NotificationList:
    """Every message the ticket sent (customer, staff, call tasks), oldest first, with its delivery."""
    pool = pool_of(request)
    row = await get_ticket_row(pool, ticket_no)
    if row is None:
        raise ApiError(404, "not_found", f"no ticket {ticket_no}")
    check_access(caller, scope_of(row))
    return NotificationList(items=await _notification_items(pool, ticket_no))


async def _notification_items(pool: asyncpg.Pool, ticket_no: str) -> list[NotificationItem]:
    items = []
    for n in await notification_store.for_ticket(pool, ticket_no):
        unreachable = bool(n.payload.get("unreachable"))
        status: Literal["delivered", "pending", "unreachable"] = (
            "unreachable" if unreachable else "delivered" if n.delivered_at else "pending"
        )
        items.append(
            NotificationItem(
                key=n.key,
                template=n.template,
                audience=str(n.payload.get("audience", "")),
                recipient=n.recipient,
                channels=[c for c in n.payload.get("channels", []) if c != "log"],
                delivered_by=[c for c in n.payload.get("delivered", []) if c != "log"],
                status=status,
                attempts=n.attempts,
                created_at=n.created_at,
                delivered_at=n.delivered_at,
            )
        )
    return items
