"""`POST /tickets`: integrators open tickets, idempotently per (channel, external_id)."""

from datetime import datetime

import structlog
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from api import opening
from api.auth import Principal, require
from api.errors import ApiError, ErrorResponse
from api.state import policy_of
from domain.classification import Sorted
from domain.enums import ApiRole, Category, Kind, Priority, Status
from domain.intake import IntakeRequest
from domain.policy import Policy
from domain.routing import route
from domain.ticket import Deadlines
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
    message_appended: bool = Field(
        default=False, description="a repeat with new words: taken in by the open ticket as a message"
    )
    needs_triage: bool = Field(
        default=False, description="sorted unsure: with the default team until a person re-sorts it"
    )
    classification: Sorted | None = Field(
        default=None, description="how the desk sorted a ticket sent without category or kind"
    )


def _response(record: store.IntakeRecord, policy: Policy, appended: bool) -> IntakeResponse:
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
        team=record.team or (policy.routing.default_team if record.needs_triage else lead.team),
        collaborators=[] if record.needs_triage else lead.collaborators,
        assignee=record.assignee,
        repeat_count=record.repeat_count,
        repeat_of=record.repeat_of,
        follow_up_of=record.follow_up_of,
        message_appended=appended,
        needs_triage=record.needs_triage,
        classification=record.classification,
        deadlines=Deadlines(
            ack_due=record.ack_due,
            response_due=record.response_due,
            resolve_due=record.resolve_due,
            update_due=record.update_due,
        ),
    )


@router.post(
    "/tickets",
    status_code=201,
    response_model=IntakeResponse,
    summary="Open a ticket (idempotent per channel and external id)",
    responses={
        200: {
            "model": IntakeResponse,
            "description": "already opened: the same ticket (new words in it are taken as a message)",
        },
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
    record = await opening.open_or_find(request, body)
    appended = False
    if not record.created and opening.content(body.description, body.request) != opening.content(
        record.description, record.request
    ):
        # The customer wrote again on the same thread: the ticket takes it, or a follow-up does.
        taken = await opening.take_message(
            request, record, body.customer, opening.content(body.description, body.request), "intake"
        )
        appended, record = taken.appended, taken.record
    response.status_code = 201 if record.created else 200
    log.info(
        "ticket opened" if record.created else "ticket intake repeated",
        ticket_no=record.ticket_no,
        channel=body.channel.value,
        priority=record.priority.value,
    )
    return _response(record, policy_of(request), appended)
