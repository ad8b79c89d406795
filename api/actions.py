"""Handlers' and supervisors' actions on a ticket: each one a Temporal Update answering the new state."""

from typing import Any, TypeVar

import asyncpg
from fastapi import APIRouter, Depends, Path, Request
from pydantic import Field, StrictBool, ValidationError

from api.auth import Principal, require
from api.errors import ApiError, ErrorResponse
from api.idempotency import IDEMPOTENCY_KEY, once
from api.state import pool_of, temporal_of
from api.workflow_calls import WorkflowGone, gone, run_update
from domain import actions as act
from domain.boundary import Boundary, IsoDatetime, Money, RowId, Score
from domain.compensation import Compensation
from domain.enums import ApiRole
from domain.masking import mask_text
from domain.ticket import TicketView
from store import attachments, audit, directory_reads, private_texts

router = APIRouter(tags=["actions"])

TICKET_NO = Path(pattern=r"^\d{6}-\d{6,}$", description="ticket number, YYYYMM-NNNNNN")

_HANDLERS = require(ApiRole.AGENT, ApiRole.SUPERVISOR, ApiRole.HEAD, ApiRole.DIRECTOR, ApiRole.ADMIN)
_SUPERVISORS = require(ApiRole.SUPERVISOR, ApiRole.HEAD, ApiRole.DIRECTOR, ApiRole.ADMIN)

A = TypeVar("A", bound=act.Action)

RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorResponse},
    403: {"model": ErrorResponse, "description": "the key's role may not do this"},
    404: {"model": ErrorResponse, "description": "no such ticket, or not one the caller may see"},
    409: {"model": ErrorResponse, "description": "the workflow rejected the action; the message says why"},
    422: {"model": ErrorResponse},
    503: {"model": ErrorResponse},
}


PrivateField = tuple[str, str, str]  # field, as typed, as everyone else sees it


class _Body(Boundary):
    """An action's payload without `by` and `caller`: the API fills those in from the caller's key."""

    def to_action(self, action: type[A], caller: Principal) -> tuple[A, list[PrivateField]]:
        """The action with contact details in its free text masked, and the fields as they were typed."""
        private: list[PrivateField] = []
        fields = _masked(self.model_dump(), "", private)
        try:
            made = action.model_validate({**fields, "by": caller.actor, "caller": caller.as_caller()})
        except ValidationError as e:
            first = e.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "body"
            raise ApiError(422, "invalid", f"{field}: {first['msg']}", field) from e
        return made, private


def _masked(value: Any, path: str, private: list[PrivateField]) -> Any:
    if isinstance(value, str):
        masked = mask_text(value)
        if masked != value:
            private.append((path, value, masked))
        return masked
    if isinstance(value, dict):
        return {k: _masked(v, f"{path}.{k}" if path else k, private) for k, v in value.items()}
    if isinstance(value, list):  # the 5-Why chain, the evidence: free text in lists
        return [_masked(v, f"{path}.{i}", private) for i, v in enumerate(value)]
    return value


class CompensationOffer(Compensation):
    """The offer as the API takes it: the amount a JSON number with at most two decimals."""

    amount: Money


class AcknowledgeBody(_Body):
    pass


class ProgressBody(_Body):
    note: str = Field(min_length=1, max_length=5_000)
    customer_visible: StrictBool = True
    attachment_ids: list[RowId] = Field(default=[], max_length=20, description="files on the ticket")


class ExtendBody(_Body):
    new_due: IsoDatetime
    reason: str = Field(min_length=1, max_length=1_000)


class WaitBody(_Body):
    reason: str = Field(min_length=1, max_length=1_000)


class ResumeBody(_Body):
    pass


class ResolveBody(_Body):
    solution: str = Field(min_length=1, max_length=5_000)
    root_cause: act.RootCause | None = Field(
        default=None, description="required for complaints and faults (the policy's root_cause.required_for)"
    )
    compensation: CompensationOffer | None = Field(
        default=None,
        description="refund, coupon, replacement, repair or other; above its threshold, approved first",
    )


class CompensationDecisionBody(_Body):
    approve: StrictBool
    comment: str = Field(default="", max_length=2_000, description="the reason, required to refuse")


class ReviewBody(_Body):
    approve: StrictBool
    comment: str = Field(default="", max_length=2_000)


class ReassignBody(_Body):
    to_member: str | None = Field(default=None, min_length=1, max_length=64)
    to_team: str | None = Field(default=None, min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=1_000)


class EscalateBody(_Body):
    reason: str = Field(min_length=1, max_length=1_000)


async def check_files(pool: asyncpg.Pool, ticket_no: str, ids: list[int]) -> None:
    """The files a note or an answer refers to are on the ticket (else 404 naming the first that is not)."""
    try:
        await attachments.check_ids(pool, ticket_no, ids)
    except attachments.UnknownAttachment as e:
        raise ApiError(404, "not_found", str(e), "attachment_ids") from e


async def _check_directory(pool: asyncpg.Pool, body: ReassignBody) -> None:
    """The member or team a ticket is handed to exists (else 404 naming the field), so the workflow
    never runs an assignment that cannot succeed."""
    if body.to_member is not None and await directory_reads.get_member(pool, body.to_member) is None:
        raise ApiError(404, "not_found", f"no member {body.to_member!r} in the directory", "to_member")
    if body.to_team is not None and not await directory_reads.team_exists(pool, body.to_team):
        raise ApiError(404, "not_found", f"no team {body.to_team!r} in the directory", "to_team")


async def perform(
    request: Request,
    caller: Principal,
    ticket_no: str,
    update: str,
    action_type: type[act.Action],
    body: _Body,
    key: str | None,
) -> TicketView:
    """Run the update on the caller's behalf: its validator checks their access against the live ticket.
    Free text goes in masked; as typed, it is kept in Postgres once the update is accepted."""
    action, private = body.to_action(action_type, caller)
    pool = pool_of(request)

    async def run(update_id: str | None) -> TicketView:
        try:
            view = await run_update(temporal_of(request), ticket_no, update, action, update_id)
        except WorkflowGone:
            raise await gone(pool, ticket_no, caller) from None
        if private:
            await private_texts.keep(pool, ticket_no, caller.actor, private)
        return view

    return await once(pool, caller.actor, key, ticket_no, update, body, run)


@router.post("/tickets/{ticket_no}/acknowledge", response_model=TicketView, responses=RESPONSES)
async def acknowledge(
    request: Request,
    body: AcknowledgeBody,
    ticket_no: str = TICKET_NO,
    caller: Principal = Depends(_HANDLERS),
    key: str | None = IDEMPOTENCY_KEY,
) -> TicketView:
    """The assignee confirms receipt."""
    return await perform(request, caller, ticket_no, "acknowledge", act.Acknowledge, body, key)


@router.post("/tickets/{ticket_no}/progress", response_model=TicketView, responses=RESPONSES)
async def progress(
    request: Request,
    body: ProgressBody,
    ticket_no: str = TICKET_NO,
    caller: Principal = Depends(_HANDLERS),
    key: str | None = IDEMPOTENCY_KEY,
) -> TicketView:
    """A progress note (and, by default, an update to the customer), which may refer to the ticket's files."""
    await check_files(pool_of(request), ticket_no, body.attachment_ids)
    return await perform(request, caller, ticket_no, "progress", act.ProgressNote, body, key)


@router.post("/tickets/{ticket_no}/extend", response_model=TicketView, responses=RESPONSES)
async def extend(
    request: Request,
    body: ExtendBody,
    ticket_no: str = TICKET_NO,
    caller: Principal = Depends(_HANDLERS),
    key: str | None = IDEMPOTENCY_KEY,
) -> TicketView:
    """Move the resolution ETA, before it passes, with a reason the customer is told."""
    return await perform(request, caller, ticket_no, "extend", act.Extend, body, key)


@router.post("/tickets/{ticket_no}/wait", response_model=TicketView, responses=RESPONSES)
async def wait_for_customer(
    request: Request,
    body: WaitBody,
    ticket_no: str = TICKET_NO,
    caller: Principal = Depends(_HANDLERS),
    key: str | None = IDEMPOTENCY_KEY,
) -> TicketView:
    """Wait for the customer: the resolution clock pauses."""
    return await perform(request, caller, ticket_no, "wait_for_customer", act.WaitForCustomer, body, key)


@router.post("/tickets/{ticket_no}/resume", response_model=TicketView, responses=RESPONSES)
async def resume(
    request: Request,
    body: ResumeBody,
    ticket_no: str = TICKET_NO,
    caller: Principal = Depends(_HANDLERS),
    key: str | None = IDEMPOTENCY_KEY,
) -> TicketView:
    """The customer answered: the resolution clock runs again."""
    return await perform(request, caller, ticket_no, "resume", act.Resume, body, key)


@router.post("/tickets/{ticket_no}/resolve", response_model=TicketView, responses=RESPONSES)
async def resolve(
    request: Request,
    body: ResolveBody,
    ticket_no: str = TICKET_NO,
    caller: Principal = Depends(_HANDLERS),
    key: str | None = IDEMPOTENCY_KEY,
) -> TicketView:
    """Propose the solution with its root cause (reviewed first when the policy says so)."""
    return await perform(request, caller, ticket_no, "resolve", act.Resolve, body, key)


@router.post("/tickets/{ticket_no}/review", response_model=TicketView, responses=RESPONSES)
async def review(
    request: Request,
    body: ReviewBody,
    ticket_no: str = TICKET_NO,
    caller: Principal = Depends(_SUPERVISORS),
    key: str | None = IDEMPOTENCY_KEY,
) -> TicketView:
    """A supervisor approves the solution or sends it back."""
    return await perform(request, caller, ticket_no, "review", act.ReviewDecision, body, key)


@router.post("/tickets/{ticket_no}/compensation/decision", response_model=TicketView, responses=RESPONSES)
async def decide_compensation(
    request: Request,
    body: CompensationDecisionBody,
    ticket_no: str = TICKET_NO,
    caller: Principal = Depends(_SUPERVISORS),
    key: str | None = IDEMPOTENCY_KEY,
) -> TicketView:
    """A supervisor approves the compensation offered above its threshold, or refuses it with the reason
    (the ticket goes back to its holder)."""
    return await perform(
        request, caller, ticket_no, "decide_compensation", act.CompensationDecision, body, key
    )


@router.post("/tickets/{ticket_no}/reassign", response_model=TicketView, responses=RESPONSES)
async def reassign(
    request: Request,
    body: ReassignBody,
    ticket_no: str = TICKET_NO,
    caller: Principal = Depends(_HANDLERS),
    key: str | None = IDEMPOTENCY_KEY,
) -> TicketView:
    """Hand the ticket to another member or team."""
    await _check_directory(pool_of(request), body)
    return await perform(request, caller, ticket_no, "reassign", act.Reassign, body, key)


@router.post("/tickets/{ticket_no}/escalate", response_model=TicketView, responses=RESPONSES)
async def escalate(
    request: Request,
    body: EscalateBody,
    ticket_no: str = TICKET_NO,
    caller: Principal = Depends(_HANDLERS),
    key: str | None = IDEMPOTENCY_KEY,
) -> TicketView:
    """Climb one level of the escalation ladder now."""
    return await perform(request, caller, ticket_no, "escalate", act.Escalate, body, key)


class CallBody(_Body):
    """A call to the customer (a call task): reached or not; reached, their answer if they gave it."""

    reached: StrictBool
    solved: StrictBool | None = None
    score: Score | None = None
    comment: str = Field(default="", max_length=2_000)
    accepts_compensation: StrictBool | None = None


@router.post("/tickets/{ticket_no}/calls", response_model=TicketView, responses=RESPONSES)
async def record_call(
    request: Request,
    body: CallBody,
    ticket_no: str = TICKET_NO,
    caller: Principal = Depends(_HANDLERS),
    key: str | None = IDEMPOTENCY_KEY,
) -> TicketView:
    """Record a call's outcome (seed 001 回访); reached and answered, it closes or reopens like feedback."""
    view = await perform(request, caller, ticket_no, "record_call", act.CallOutcome, body, key)
    await audit.record_read(pool_of(request), caller.actor, ticket_no, "call")
    return view
