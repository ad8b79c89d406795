"""`POST /tickets`: integrators open tickets, idempotently per (channel, external_id)."""

import asyncio
from datetime import UTC, datetime

import structlog
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from api.auth import Principal, require
from api.errors import ApiError, ErrorResponse
from api.state import hotspots_of, policy_of, pool_of, settings_of, temporal_of
from api.workflow_calls import start_ticket
from domain import sla
from domain.enums import ApiRole, Category, Kind, Priority, Status
from domain.hotspot_window import TicketOpened
from domain.intake import IntakeRequest, mask_customer
from domain.policy import Policy
from domain.routing import default_priority, route
from domain.sla import Clock
from domain.ticket import Deadlines, TicketInput
from store import intake as store

log = structlog.get_logger(__name__)
router = APIRouter(tags=["intake"])


class IntakeResponse(BaseModel):
    """The ticket opened (201) or already open for this (channel, external_id) (200), with what intake
    already knows: the lead and collaborating teams, the first-response and resolution due times."""

    ticket_no: str
    status: Status
    priority: Priority
    kind: Kind
    category: Category
    created: bool
    opened_at: datetime
    customer_id: int
    team: str
    collaborators: list[str] = []
    assignee: str | None = None
    deadlines: Deadlines
    repeat_count: int = Field(default=0, description="the customer's tickets of this category lately")
    repeat_of: str | None = None
    follow_up_of: str | None = None


def ticket_input(record: store.IntakeRecord, policy: Policy) -> TicketInput:
    """The workflow's input: masked customer only, and none of the customer's free text."""
    return TicketInput(
        ticket_no=record.ticket_no,
        channel=record.channel,
        kind=record.kind,
        category=record.category,
        priority=record.priority,
        customer=mask_customer(record.customer_id, record.customer, record.channel),
        opened_at=record.opened_at,
        product=record.product,
        order_batch=record.order_batch,
        repeat_count=record.repeat_count,
        follow_up_of=record.follow_up_of,
        policy=policy,
    )


def _response(record: store.IntakeRecord, policy: Policy) -> IntakeResponse:
    lead = route(policy, record.kind, record.category, record.priority, record.customer.tier)
    return IntakeResponse(
        ticket_no=record.ticket_no,
        status=record.status,
        priority=record.priority,
        kind=record.kind,
        category=record.category,
        created=record.created,
        opened_at=record.opened_at,
        customer_id=record.customer_id,
        team=record.team or lead.team,
        collaborators=lead.collaborators,
        assignee=record.assignee,
        repeat_count=record.repeat_count,
        repeat_of=record.repeat_of,
        follow_up_of=record.follow_up_of,
        deadlines=Deadlines(
            ack_due=record.ack_due,
            response_due=record.response_due,
            resolve_due=record.resolve_due,
            update_due=record.update_due,
        ),
    )


def _opened(ticket: TicketInput, record: store.IntakeRecord) -> TicketOpened:
    lead = route(ticket.policy, ticket.kind, ticket.category, ticket.priority, ticket.customer.tier)
    return TicketOpened(
        ticket_no=ticket.ticket_no,
        category=ticket.category,
        product=record.product,
        order_batch=record.order_batch,
        opened_at=ticket.opened_at,
        team=lead.team,
    )


@router.post(
    "/tickets",
    status_code=201,
    response_model=IntakeResponse,
    summary="Open a ticket (idempotent per channel and external id)",
    responses={
        200: {"model": IntakeResponse, "description": "already opened: the same ticket"},
        401: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        503: {"model": ErrorResponse},
    },
)
async def open_ticket(
    body: IntakeRequest,
    request: Request,
    response: Response,
    caller: Principal = Depends(require(ApiRole.INTEGRATOR, ApiRole.ADMIN)),
) -> IntakeResponse:
    if caller.channel is not None and body.channel != caller.channel:
        raise ApiError(
            403, "forbidden", f"this key opens tickets for channel {caller.channel.value}", "channel"
        )
    pool, policy = pool_of(request), policy_of(request)
    priority = body.priority or default_priority(policy, body.kind, body.category, body.customer.tier)
    now = datetime.now(UTC)
    # A repeat of an intake finds its ticket in there (and these figures unused): one way in for both.
    record = await store.open_ticket(
        pool,
        store.NewTicket(
            request=body,
            priority=priority,
            opened_at=now,
            response_due=sla.due_from(policy, Clock.RESPONSE, priority, body.customer.tier, now),
            resolve_due=sla.due_from(policy, Clock.RESOLVE, priority, body.customer.tier, now),
            repeat_since=now - policy.customers.repeat_window,
        ),
    )
    if not record.workflow_started:
        # Also the path of a retry after a crash between numbering and starting: finish the job.
        client, task_queue = temporal_of(request), settings_of(request).task_queue
        ticket = ticket_input(record, policy)
        # Started and counted side by side, both before the start is marked done, so a retry finishes what a
        # crash left; both are idempotent (an already running start is success, a repeat count is ignored).
        done = await asyncio.gather(
            start_ticket(client, task_queue, ticket),
            hotspots_of(request).count(_opened(ticket, record)),
            return_exceptions=True,
        )
        for failed in (d for d in done if isinstance(d, BaseException)):
            raise failed  # both finished; the first failure answers (503 when Temporal is down)
        await store.mark_workflow_started(pool, record.ticket_no)
    response.status_code = 201 if record.created else 200
    log.info(
        "ticket opened" if record.created else "ticket intake repeated",
        ticket_no=record.ticket_no,
        channel=body.channel.value,
        priority=record.priority.value,
    )
    return _response(record, policy)
