"""Corrective actions (seeds 003, 004): a supervisor opens one from a root cause or an incident; its owner
reports it done with evidence; each runs as its own workflow (reminders, escalation, effect check)."""

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field, model_validator
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from api.auth import Principal, require
from api.errors import ApiError, ErrorResponse
from api.state import policy_of, pool_of, settings_of, temporal_of
from domain.boundary import Boundary, IsoDatetime
from domain.corrective import (
    CORRECTIVE_WORKFLOW_NAME,
    CorrectiveInput,
    CorrectiveStatus,
    CorrectiveView,
    Done,
    Effect,
    workflow_id,
)
from domain.enums import ApiRole, Category
from domain.masking import mask_text
from store import corrective as store
from store import incidents
from store.directory_reads import get_member

router = APIRouter(tags=["corrective actions"])

_SUPERVISORS = require(ApiRole.SUPERVISOR, ApiRole.HEAD, ApiRole.DIRECTOR, ApiRole.ADMIN)
_HANDLERS = require(ApiRole.AGENT, ApiRole.SUPERVISOR, ApiRole.HEAD, ApiRole.DIRECTOR, ApiRole.ADMIN)
ACTION_ID = Path(ge=1, le=2**62, description="the corrective action's id")

RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse},
    403: {"model": ErrorResponse, "description": "the key's role may not do this"},
    404: {"model": ErrorResponse, "description": "no such action, ticket, incident or owner"},
    409: {
        "model": ErrorResponse,
        "description": "the action's state does not allow it; the message says why",
    },
    422: {"model": ErrorResponse},
    503: {"model": ErrorResponse},
}


class OpenBody(Boundary):
    """From a root cause (its ticket) or an incident: who, what will change, by when."""

    owner: str = Field(min_length=1, max_length=64, description="the member who carries it out")
    change: str = Field(min_length=1, max_length=5_000, description="what will change")
    due: IsoDatetime
    ticket_no: str | None = Field(default=None, pattern=r"^\d{6}-\d{6,}$")
    incident_id: int | None = Field(default=None, ge=1, le=2**62)
    category: Category | None = Field(default=None, description="default: the ticket's or incident's")
    product: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _one_source(self) -> "OpenBody":
        if (self.ticket_no is None) == (self.incident_id is None):
            raise ValueError("name the root cause's ticket_no or the incident_id, one of them")
        return self


class DoneBody(Boundary):
    evidence: str = Field(min_length=1, max_length=5_000, description="what shows it is done")


class CorrectiveAction(BaseModel):
    """An action as its row stands: the workflow writes it at every change."""

    id: int
    ticket_no: str | None = None
    incident_id: int | None = None
    category: Category
    product: str | None = None
    owner: str
    team: str
    change: str
    due_at: datetime
    status: str
    opened_by: str
    opened_at: datetime
    done_at: datetime | None = None
    done_by: str | None = None
    evidence: str | None = None
    effects: list[Effect] = []


async def _subject(request: Request, body: OpenBody) -> tuple[Category, str | None]:
    pool = pool_of(request)
    if body.ticket_no is not None:
        found = await store.ticket_subject(pool, body.ticket_no)
        if found is None:
            raise ApiError(404, "not_found", f"no ticket {body.ticket_no}", "ticket_no")
        category, product = Category(found[0]), found[1]
    else:
        incident = await incidents.get(pool, body.incident_id or 0)
        if incident is None:
            raise ApiError(404, "not_found", f"no incident {body.incident_id}", "incident_id")
        category, product = incident.category, incident.product
    return body.category or category, body.product or product


@router.post("/corrective-actions", status_code=201, response_model=CorrectiveView, responses=RESPONSES)
async def open_action(
    request: Request, body: OpenBody, caller: Principal = Depends(_SUPERVISORS)
) -> CorrectiveView:
    """Open a corrective action; its workflow (`corrective-<id>`) reminds, escalates and checks its effect."""
    now = datetime.now(UTC)
    if body.due <= now:
        raise ApiError(422, "invalid", "due: must be in the future", "due")
    pool = pool_of(request)
    owner = await get_member(pool, body.owner)
    if owner is None or owner.team_id is None:
        raise ApiError(404, "not_found", f"no member {body.owner} in a team", "owner")
    category, product = await _subject(request, body)
    change = mask_text(body.change)
    action_id = await store.create(
        pool,
        category=category.value,
        product=product,
        owner=owner.id,
        team=owner.team_id,
        change=change,
        due_at=body.due,
        opened_by=caller.actor,
        opened_at=now,
        ticket_no=body.ticket_no,
        incident_id=body.incident_id,
    )
    inp = CorrectiveInput(
        action_id=action_id,
        owner=owner.id,
        team=owner.team_id,
        change=change,
        due=body.due,
        category=category,
        product=product,
        ticket_no=body.ticket_no,
        incident_id=body.incident_id,
        opened_by=caller.actor,
        opened_at=now,
        policy=policy_of(request).corrective,
    )
    try:
        await temporal_of(request).start_workflow(
            CORRECTIVE_WORKFLOW_NAME,
            inp,
            id=workflow_id(action_id),
            task_queue=settings_of(request).task_queue,
            static_summary=f"corrective {category.value}: {owner.id}",
        )
    except RPCError as e:
        raise ApiError(503, "unavailable", "the workflow engine is not answering; retry shortly") from e
    return CorrectiveView(
        action_id=action_id,
        status=CorrectiveStatus.OPEN,
        owner=owner.id,
        team=owner.team_id,
        change=change,
        due=body.due,
        category=category,
        product=product,
    )


async def _row(request: Request, action_id: int) -> CorrectiveAction:
    row = await store.get(pool_of(request), action_id)
    if row is None:
        raise ApiError(404, "not_found", f"no corrective action {action_id}")
    return CorrectiveAction.model_validate(dict(row))


@router.get("/corrective-actions/{action_id}", response_model=CorrectiveAction, responses=RESPONSES)
async def get_action(
    request: Request, action_id: int = ACTION_ID, caller: Principal = Depends(_HANDLERS)
) -> CorrectiveAction:
    """The action, its status and every effect check with its numbers."""
    return await _row(request, action_id)


@router.post("/corrective-actions/{action_id}/done", response_model=CorrectiveView, responses=RESPONSES)
async def done(
    request: Request, body: DoneBody, action_id: int = ACTION_ID, caller: Principal = Depends(_HANDLERS)
) -> CorrectiveView:
    """The owner (or a supervisor) reports the action done with its evidence; the effect check follows."""
    action = await _row(request, action_id)
    if caller.role is ApiRole.AGENT and caller.member_id != action.owner:
        raise ApiError(403, "forbidden", f"only the owner {action.owner} or a supervisor can report it done")
    handle = temporal_of(request).get_workflow_handle(workflow_id(action_id))
    try:
        view: CorrectiveView = await handle.execute_update(
            "complete", Done(by=caller.actor, evidence=mask_text(body.evidence)), result_type=CorrectiveView
        )
        return view
    except WorkflowUpdateFailedError as e:
        cause = e.cause
        message = cause.message if isinstance(cause, ApplicationError) else str(cause or e)
        raise ApiError(409, "rejected", message) from e
    except RPCError as e:
        raise ApiError(409, "closed", f"corrective action {action_id} is {action.status}") from e
