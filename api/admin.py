"""Administration: teams, members (role, on duty, capacity) and API keys."""

import asyncpg
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from api.auth import Principal, require
from api.errors import ApiError, ErrorResponse
from api.state import pool_of, temporal_of
from domain.enums import ApiRole
from infra.wake import wake
from store import api_keys, directory_reads, queue
from store.directory import Member, Team, upsert_member, upsert_team

router = APIRouter(prefix="/admin", tags=["admin"])

_ADMIN = require(ApiRole.ADMIN)
_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorResponse},
    403: {"model": ErrorResponse},
    422: {"model": ErrorResponse},
    503: {"model": ErrorResponse},
}
_WITH_404: dict[int | str, dict[str, object]] = {**_RESPONSES, 404: {"model": ErrorResponse}}
_NAMES_OTHERS: dict[int | str, dict[str, object]] = {
    **_WITH_404,
    404: {"model": ErrorResponse, "description": "the team or member it names does not exist"},
    409: {"model": ErrorResponse, "description": "a key's role above its member's role in the directory"},
}


class TeamList(BaseModel):
    items: list[Team]


class MemberList(BaseModel):
    items: list[Member]


class ApiKeyList(BaseModel):
    items: list[api_keys.ApiKey]


@router.get("/teams", response_model=TeamList, responses=_RESPONSES)
async def list_teams(request: Request, _: Principal = Depends(_ADMIN)) -> TeamList:
    return TeamList(items=await directory_reads.list_teams(pool_of(request)))


@router.put("/teams", response_model=Team, responses=_RESPONSES)
async def put_team(request: Request, team: Team, _: Principal = Depends(_ADMIN)) -> Team:
    """Create or update a team."""
    await upsert_team(pool_of(request), team)
    return team


@router.get("/members", response_model=MemberList, responses=_RESPONSES)
async def list_members(
    request: Request,
    team: str | None = Query(default=None, max_length=64),
    _: Principal = Depends(_ADMIN),
) -> MemberList:
    return MemberList(items=await directory_reads.list_members(pool_of(request), team))


@router.get("/members/{member_id}", response_model=Member, responses=_WITH_404)
async def get_member(
    request: Request, member_id: str = Path(max_length=64), _: Principal = Depends(_ADMIN)
) -> Member:
    member = await directory_reads.get_member(pool_of(request), member_id)
    if member is None:
        raise ApiError(404, "not_found", f"no member {member_id}")
    return member


@router.put("/members", response_model=Member, responses=_NAMES_OTHERS)
async def put_member(request: Request, member: Member, _: Principal = Depends(_ADMIN)) -> Member:
    """Create or update a member: role, team, on duty, capacity. A member coming on duty (or given more
    capacity) takes the team's queued tickets at once, highest priority first."""
    pool = pool_of(request)
    try:
        await upsert_member(pool, member)
    except asyncpg.ForeignKeyViolationError as e:
        raise ApiError(404, "not_found", f"team_id: no team {member.team_id}", "team_id") from e
    if member.team_id is not None and member.on_duty:
        for _attempt in range(3):
            gone = await wake(temporal_of(request), await queue.heads(pool, member.team_id))
            if not gone:
                break
            for ticket_no in gone:
                await queue.dequeue(pool, ticket_no)  # ended without leaving the queue: must not block it
    return member


@router.get("/api-keys", response_model=ApiKeyList, responses=_RESPONSES)
async def list_keys(request: Request, _: Principal = Depends(_ADMIN)) -> ApiKeyList:
    """Every key, without secrets (only their hashes are stored)."""
    return ApiKeyList(items=await api_keys.list_api_keys(pool_of(request)))


@router.post("/api-keys", status_code=201, response_model=api_keys.IssuedKey, responses=_NAMES_OTHERS)
async def create_key(
    request: Request, body: api_keys.NewApiKey, _: Principal = Depends(_ADMIN)
) -> api_keys.IssuedKey:
    """Issue a key; its secret is in this answer and nowhere else."""
    try:
        return await api_keys.create_api_key(pool_of(request), body)
    except asyncpg.ForeignKeyViolationError as e:
        raise ApiError(404, "not_found", f"member_id: no member {body.member_id}", "member_id") from e
    except api_keys.RoleTooHigh as e:
        raise ApiError(409, "conflict", f"role: {e}", "role") from e


@router.delete("/api-keys/{key_id}", response_model=api_keys.ApiKey, responses=_WITH_404)
async def revoke_key(
    request: Request, key_id: int = Path(ge=1, le=2**63 - 1), _: Principal = Depends(_ADMIN)
) -> api_keys.ApiKey:
    revoked = await api_keys.revoke_api_key(pool_of(request), key_id)
    if revoked is None:
        raise ApiError(404, "not_found", f"no API key {key_id}")
    return revoked
