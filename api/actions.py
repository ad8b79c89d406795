"""Handlers' and supervisors' actions on a ticket: each one a Temporal Update answering the new state."""

from typing import TypeVar

from fastapi import APIRouter, Depends, Path, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from api.auth import Principal, require
from api.errors import ApiError, ErrorResponse
from api.state import pool_of, temporal_of
from api.workflow_calls import WorkflowGone, gone, run_update
from domain import actions as act
from domain.enums import ApiRole
from domain.ticket import TicketView

router = APIRouter(tags=["actions"])

TICKET_NO = Path(pattern=r"^\d{6}-\d{6,}$", description="ticket number, YYYYMM-NNNNNN")

_HANDLERS = require(ApiRole.AGENT, ApiRole.SUPERVISOR, ApiRole.ADMIN)
_SUPERVISORS = require(ApiRole.SUPERVISOR, ApiRole.ADMIN)

A = TypeVar("A", bound=act.Action)

RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorResponse},
    403: {"model": ErrorResponse, "description": "the ticket is not yours"},
    404: {"model": ErrorResponse, "description": "no such ticket"},
    409: {"model": ErrorResponse, "description": "the workflow rejected the action; the message says why"},
    422: {"model": ErrorResponse},
    503: {"model": ErrorResponse},
}


class _Body(BaseModel):
    """An action's payload without `by` and `caller`: the API fills those in from the caller's key."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def to_action(self, action: type[A], caller: Principal) -> A:
        try:
            return action.model_validate(
                {**self.model_dump(), "by": caller.actor, "caller": caller.as_caller()}
            )
        except ValidationError as e:
            first = e.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "body"
            raise ApiError(422, "invalid", f"{field}: {first['msg']}", field) from e


class AcknowledgeBody(_Body):
    pass


class ProgressBody(_Body):
    note: str = Field(min_length=1, max_length=5_000)
    customer_visible: bool = True


class ExtendBody(_Body):
    new_due: AwareDatetime
    reason: str = Field(min_length=1, max_length=1_000)


class WaitBody(_Body):
    reason: str = Field(min_length=1, max_length=1_000)


class ResumeBody(_Body):
    pass


class ResolveBody(_Body):
    solution: str = Field(min_length=1, max_length=5_000)
    root_cause: act.RootCause


class ReviewBody(_Body):
    approve: bool
    comment: str = Field(default="", max_length=2_000)


class ReassignBody(_Body):
    to_member: str | None = Field(default=None, max_length=64)
    to_team: str | None = Field(default=None, max_length=64)
    reason: str = Field(min_length=1, max_length=1_000)


class EscalateBody(_Body):
    reason: str = Field(min_length=1, max_length=1_000)


async def perform(
    request: Request, caller: Principal, ticket_no: str, update: str, action: act.Action
) -> TicketView:
    """Run the update on the caller's behalf: its validator checks their access against the live ticket."""
    try:
        return await run_update(temporal_of(request), ticket_no, update, action)
    except WorkflowGone:
        raise await gone(pool_of(request), ticket_no, caller) from None


@router.post("/tickets/{ticket_no}/acknowledge", response_model=TicketView, responses=RESPONSES)
async def acknowledge(
    request: Request,
    body: AcknowledgeBody,
    ticket_no: str = TICKET_NO,
    caller: Principal = Depends(_HANDLERS),
) -> TicketView:
    """The assignee confirms receipt."""
    return await perform(request, caller, ticket_no, "acknowledge", body.to_action(act.Acknowledge, caller))


@router.post("/tickets/{ticket_no}/progress", response_model=TicketView, responses=RESPONSES)
async def progress(
    request: Request, body: ProgressBody, ticket_no: str = TICKET_NO, caller: Principal = Depends(_HANDLERS)
) -> TicketView:
    """A progress note (and, by default, an update to the customer)."""
    return await perform(request, caller, ticket_no, "progress", body.to_action(act.ProgressNote, caller))


@router.post("/tickets/{ticket_no}/extend", response_model=TicketView, responses=RESPONSES)
async def extend(
    request: Request, body: ExtendBody, ticket_no: str = TICKET_NO, caller: Principal = Depends(_HANDLERS)
) -> TicketView:
    """Move the resolution ETA, before it passes, with a reason the customer is told."""
    return await perform(request, caller, ticket_no, "extend", body.to_action(act.Extend, caller))


@router.post("/tickets/{ticket_no}/wait", response_model=TicketView, responses=RESPONSES)
async def wait_for_customer(
    request: Request, body: WaitBody, ticket_no: str = TICKET_NO, caller: Principal = Depends(_HANDLERS)
) -> TicketView:
    """Wait for the customer: the resolution clock pauses."""
    action = body.to_action(act.WaitForCustomer, caller)
    return await perform(request, caller, ticket_no, "wait_for_customer", action)


@router.post("/tickets/{ticket_no}/resume", response_model=TicketView, responses=RESPONSES)
async def resume(
    request: Request, body: ResumeBody, ticket_no: str = TICKET_NO, caller: Principal = Depends(_HANDLERS)
) -> TicketView:
    """The customer answered: the resolution clock runs again."""
    return await perform(request, caller, ticket_no, "resume", body.to_action(act.Resume, caller))


@router.post("/tickets/{ticket_no}/resolve", response_model=TicketView, responses=RESPONSES)
async def resolve(
    request: Request, body: ResolveBody, ticket_no: str = TICKET_NO, caller: Principal = Depends(_HANDLERS)
) -> TicketView:
    """Propose the solution with its root cause (reviewed first when the policy says so)."""
    return await perform(request, caller, ticket_no, "resolve", body.to_action(act.Resolve, caller))


@router.post("/tickets/{ticket_no}/review", response_model=TicketView, responses=RESPONSES)
async def review(
    request: Request, body: ReviewBody, ticket_no: str = TICKET_NO, caller: Principal = Depends(_SUPERVISORS)
) -> TicketView:
    """A supervisor approves the solution or sends it back."""
    return await perform(request, caller, ticket_no, "review", body.to_action(act.ReviewDecision, caller))


@router.post("/tickets/{ticket_no}/reassign", response_model=TicketView, responses=RESPONSES)
async def reassign(
    request: Request, body: ReassignBody, ticket_no: str = TICKET_NO, caller: Principal = Depends(_HANDLERS)
) -> TicketView:
    """Hand the ticket to another member or team."""
    return await perform(request, caller, ticket_no, "reassign", body.to_action(act.Reassign, caller))


@router.post("/tickets/{ticket_no}/escalate", response_model=TicketView, responses=RESPONSES)
async def escalate(
    request: Request, body: EscalateBody, ticket_no: str = TICKET_NO, caller: Principal = Depends(_HANDLERS)
) -> TicketView:
    """Climb one level of the escalation ladder now."""
    return await perform(request, caller, ticket_no, "escalate", body.to_action(act.Escalate, caller))
