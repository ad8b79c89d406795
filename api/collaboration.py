"""Collaboration requests (seeds 002, 004): ask another team about a ticket, answer as that team, and the
on-time rate per team."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.actions import RESPONSES, TICKET_NO, _Body, check_files, perform
from api.auth import Principal, require
from api.errors import ApiError, ErrorResponse
from api.idempotency import IDEMPOTENCY_KEY
from api.state import pool_of, temporal_of
from domain.boundary import IsoDatetime, RowId
from domain.collaboration import AskCollaboration, CollaborationAnswer, CollaborationView, request_id
from domain.enums import ApiRole
from domain.report import CollaborationFigures
from domain.ticket import TicketView
from store import collaboration as collaboration_store
from store.assignment import team_exists

router = APIRouter(tags=["collaboration"])

_HANDLERS = require(ApiRole.AGENT, ApiRole.SUPERVISOR, ApiRole.HEAD, ApiRole.DIRECTOR, ApiRole.ADMIN)
_MANAGERS = require(ApiRole.SUPERVISOR, ApiRole.HEAD, ApiRole.DIRECTOR, ApiRole.ADMIN)


class AskBody(_Body):
    team: str = Field(min_length=1, max_length=64, description="the team asked")
    question: str = Field(min_length=1, max_length=5_000)
    attachment_ids: list[RowId] = Field(
        default=[], max_length=20, description="files on the ticket it refers to"
    )


class AnswerBody(_Body):
    text: str = Field(min_length=1, max_length=5_000)
    attachment_ids: list[RowId] = Field(
        default=[], max_length=20, description="files on the ticket it refers to"
    )


class CollaborationReport(BaseModel):
    since: IsoDatetime
    until: IsoDatetime
    teams: list[CollaborationFigures]


@router.post("/tickets/{ticket_no}/collaborations", response_model=TicketView, responses=RESPONSES)
async def ask(
    request: Request,
    body: AskBody,
    ticket_no: str = TICKET_NO,
    caller: Principal = Depends(_HANDLERS),
    key: str | None = IDEMPOTENCY_KEY,
) -> TicketView:
    """Ask another team a question about the ticket, to answer within the policy's deadline (24 h) in its
    calendar; the team can read the ticket from now on."""
    if not await team_exists(pool_of(request), body.team):
        raise ApiError(404, "not_found", f"team: no team {body.team}", "team")
    await check_files(pool_of(request), ticket_no, body.attachment_ids)
    return await perform(request, caller, ticket_no, "ask_collaboration", AskCollaboration, body, key)


@router.post(
    "/tickets/{ticket_no}/collaborations/{number}/answer",
    response_model=CollaborationView,
    responses=RESPONSES,
)
async def answer(
    request: Request,
    body: AnswerBody,
    ticket_no: str = TICKET_NO,
    number: int = Path(ge=1, le=1000),
    caller: Principal = Depends(_HANDLERS),
) -> CollaborationView:
    """The asked team answers (its members, or heads and above); the ticket's holder is told."""
    await check_files(pool_of(request), ticket_no, body.attachment_ids)
    action, _ = body.to_action(CollaborationAnswer, caller)
    handle = temporal_of(request).get_workflow_handle(request_id(ticket_no, number))
    try:
        view: CollaborationView = await handle.execute_update(
            "answer", action, result_type=CollaborationView, rpc_timeout=timedelta(seconds=30)
        )
        return view
    except WorkflowUpdateFailedError as e:
        cause = e.cause
        message = cause.message if isinstance(cause, ApplicationError) else str(cause or e)
        raise ApiError(409, "rejected", message) from e
    except WorkflowUpdateRPCTimeoutOrCancelledError as e:
        raise ApiError(503, "unavailable", "the ticket engine is not answering; retry shortly") from e
    except RPCError as e:
        if e.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(404, "not_found", f"no open request {number} on ticket {ticket_no}") from e
        raise ApiError(503, "unavailable", "the ticket engine is not answering; retry shortly") from e


@router.get(
    "/reports/collaboration",
    response_model=CollaborationReport,
    responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)
async def report(
    request: Request,
    # Annotated, not `= Query(...)`: FastAPI drops a type's validators given the default form.
    since: Annotated[IsoDatetime, Query(description="requests asked from this time")],
    until: Annotated[IsoDatetime, Query(description="up to this time (excluded)")],
    _: Principal = Depends(_MANAGERS),
) -> CollaborationReport:
    """Collaboration requests per asked team: asked, answered, on time, escalated, and the on-time rate."""
    teams = await collaboration_store.per_team(pool_of(request), since, until)
    return CollaborationReport(since=since, until=until, teams=teams)
