"""Who is calling: the API key (header `X-API-Key`, stored hashed) resolved to a principal with a role."""

from collections.abc import Awaitable, Callable

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from api.errors import ApiError
from api.state import pool_of
from domain.access import Caller
from domain.enums import ApiRole
from store.api_keys import lookup_api_key

api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="an API key issued by `ticketflow create-api-key`"
)


class Principal(Caller):
    """The caller behind an API key: the key, its role, and the member or channel behind it."""

    key_id: int

    @property
    def actor(self) -> str:
        """How this caller appears in the audit log and as the `by` of an action."""
        return self.member_id or f"key:{self.key_id}"

    def as_caller(self) -> Caller:
        """What the workflow is told of the caller (no key id)."""
        return Caller(
            role=self.role,
            member_id=self.member_id,
            team_id=self.team_id,
            channel=self.channel,
            teams=self.teams,
        )


async def principal(request: Request, key: str | None = Security(api_key_header)) -> Principal:
    if not key:
        raise ApiError(401, "unauthorized", "this endpoint needs an X-API-Key header")
    found = await lookup_api_key(pool_of(request), key)
    if found is None:
        raise ApiError(401, "unauthorized", "unknown or revoked API key")
    return Principal(
        key_id=found.id,
        role=found.role,
        member_id=found.member_id,
        team_id=found.team_id,
        channel=found.channel,
        teams=found.teams,
    )


def require(*roles: ApiRole) -> Callable[..., Awaitable[Principal]]:
    """A dependency answering 403 unless the caller's role is one of `roles`."""

    async def dependency(p: Principal = Depends(principal)) -> Principal:
        if p.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise ApiError(403, "forbidden", f"a {p.role.value} key may not do this (needs: {allowed})")
        return p

    return dependency
