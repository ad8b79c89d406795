"""Quality inspection (质检, seeds 003, 004): supervisors see their team's weekly sample and score it."""

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import Field, StrictInt

from api.auth import Principal, require
from api.errors import ApiError, ErrorResponse
from api.state import pool_of
from domain.boundary import Boundary
from domain.enums import ApiRole
from domain.masking import mask_text
from store import inspections as store
from store.inspections import Inspection

router = APIRouter(tags=["quality inspection"])

_MANAGERS = require(ApiRole.SUPERVISOR, ApiRole.HEAD, ApiRole.DIRECTOR, ApiRole.ADMIN)
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse},
    403: {"model": ErrorResponse, "description": "not a supervisor of the inspected agent's team"},
    404: {"model": ErrorResponse, "description": "no such inspection"},
    409: {"model": ErrorResponse, "description": "already scored"},
    422: {"model": ErrorResponse},
}

Score = StrictInt


class ScoreBody(Boundary):
    """The rubric: scripts followed, accuracy, timeliness, attitude, 1–5 each, and a comment."""

    scripts: Score = Field(ge=1, le=5)
    accuracy: Score = Field(ge=1, le=5)
    timeliness: Score = Field(ge=1, le=5)
    attitude: Score = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2_000)


def _teams(caller: Principal) -> list[str] | None:
    """The teams whose inspections the caller scores: a supervisor's own, a head's department's, all else."""
    if caller.role is ApiRole.SUPERVISOR:
        return [caller.team_id] if caller.team_id else []
    if caller.role is ApiRole.HEAD:
        return list(caller.teams)
    return None


@router.get("/inspections", response_model=list[Inspection], responses=RESPONSES)
async def pending_inspections(request: Request, caller: Principal = Depends(_MANAGERS)) -> list[Inspection]:
    """The unscored sample of the caller's teams, oldest week first."""
    return await store.pending(pool_of(request), _teams(caller))


@router.post("/inspections/{inspection_id}/score", response_model=Inspection, responses=RESPONSES)
async def score_inspection(
    request: Request,
    body: ScoreBody,
    inspection_id: int = Path(ge=1, le=2**62),
    caller: Principal = Depends(_MANAGERS),
) -> Inspection:
    """Score one sampled ticket on the rubric; once."""
    pool = pool_of(request)
    found = await store.get(pool, inspection_id)
    if found is None:
        raise ApiError(404, "not_found", f"no inspection {inspection_id}")
    teams = _teams(caller)
    if teams is not None and found.team not in teams:
        raise ApiError(403, "forbidden", f"inspection {inspection_id} belongs to team {found.team}")
    scores = body.model_dump(exclude={"comment"})
    scored = await store.score(
        pool, inspection_id, scores, mask_text(body.comment), caller.actor, datetime.now(UTC)
    )
    if scored is None:
        raise ApiError(409, "already_scored", f"inspection {inspection_id} is already scored")
    return scored
