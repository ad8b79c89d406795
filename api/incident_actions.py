"""An incident handled as one (issue 22): one progress note to every linked ticket, or every linked ticket
resolved with one solution and cause; each ticket's customer told by its own workflow, once."""

import asyncio
from typing import Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from api.actions import ProgressBody, ResolveBody, _Body
from api.auth import Principal, require
from api.errors import ApiError, ErrorResponse
from api.state import pool_of, temporal_of
from api.workflow_calls import WorkflowGone, run_update
from domain import actions as act
from domain.enums import ApiRole
from store import incidents, private_texts

router = APIRouter(tags=["incidents"])

_MANAGERS = require(ApiRole.SUPERVISOR, ApiRole.HEAD, ApiRole.DIRECTOR, ApiRole.ADMIN)
INCIDENT_ID = Path(ge=1, le=2**62, description="the incident's id")
# Tickets updated at once: an incident links tens of tickets, each update a round trip to its workflow.
PARALLEL = 8

RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorResponse},
    403: {"model": ErrorResponse, "description": "the key's role may not do this"},
    404: {"model": ErrorResponse, "description": "no such incident"},
    422: {"model": ErrorResponse},
    503: {"model": ErrorResponse},
}


class TicketOutcome(BaseModel):
    ticket_no: str
    outcome: Literal["done", "skipped", "refused"] = Field(
        description="done; skipped: the ticket's state did not allow it (the reason says why); refused: the"
        " caller may not act on it"
    )
    reason: str | None = None


class FanOut(BaseModel):
    """What happened to each open ticket linked to the incident."""

    incident_id: int
    tickets: list[TicketOutcome]


async def _fan_out(
    request: Request,
    incident_id: int,
    caller: Principal,
    update: str,
    action_type: type[act.Action],
    body: _Body,
) -> FanOut:
    pool = pool_of(request)
    if await incidents.get(pool, incident_id) is None:
        raise ApiError(404, "not_found", f"no incident {incident_id}")
    action, private = body.to_action(action_type, caller)
    gate = asyncio.Semaphore(PARALLEL)

    async def one(ticket_no: str) -> TicketOutcome:
        async with gate:
            try:
                # A repeated resolve is refused by each ticket's own state (already resolved): told once.
                await run_update(temporal_of(request), ticket_no, update, action)
            except WorkflowGone:
                return TicketOutcome(ticket_no=ticket_no, outcome="skipped", reason="the ticket is closed")
            except ApiError as e:
                if e.status == 503:
                    raise
                kind: Literal["skipped", "refused"] = "refused" if e.status == 404 else "skipped"
                return TicketOutcome(ticket_no=ticket_no, outcome=kind, reason=e.message)
        if private:
            await private_texts.keep(pool, ticket_no, caller.actor, private)
        return TicketOutcome(ticket_no=ticket_no, outcome="done")

    tickets = await incidents.open_tickets(pool, incident_id)
    return FanOut(incident_id=incident_id, tickets=list(await asyncio.gather(*(one(t) for t in tickets))))


@router.post("/incidents/{incident_id}/progress", response_model=FanOut, responses=RESPONSES)
async def incident_progress(
    request: Request,
    body: ProgressBody,
    incident_id: int = INCIDENT_ID,
    caller: Principal = Depends(_MANAGERS),
) -> FanOut:
    """One progress note on every open ticket linked to the incident (each customer told, when visible)."""
    return await _fan_out(request, incident_id, caller, "progress", act.ProgressNote, body)


@router.post("/incidents/{incident_id}/resolve", response_model=FanOut, responses=RESPONSES)
async def incident_resolve(
    request: Request,
    body: ResolveBody,
    incident_id: int = INCIDENT_ID,
    caller: Principal = Depends(_MANAGERS),
) -> FanOut:
    """Resolve every open linked ticket with one solution and root cause; each ticket keeps its own review
    and callback, so each customer is told once, by their ticket."""
    result = await _fan_out(request, incident_id, caller, "resolve", act.Resolve, body)
    cause = body.root_cause.model_dump(mode="json") if body.root_cause else None
    await incidents.record_resolution(pool_of(request), incident_id, body.solution, cause)
    return result
