"""API keys: random secrets shown once, stored as SHA-256 hashes, each with a role (and member or channel)."""

import hashlib
import secrets
from datetime import datetime
from typing import Any, ClassVar

import asyncpg
from pydantic import BaseModel, Field, ValidationInfo, field_validator

from domain.boundary import Boundary
from domain.enums import ApiRole, Channel

_PREFIX = "tfk_"
# The roles of people, lowest first: a key acting for a member never carries more than the member's role.
PEOPLE = (ApiRole.AGENT, ApiRole.SUPERVISOR, ApiRole.HEAD, ApiRole.DIRECTOR)


class RoleTooHigh(ValueError):
    """A key asked for more than its member's role."""


def effective_role(key_role: ApiRole, member_role: str | None) -> ApiRole:
    """The key's role, lowered to its member's when the directory says less (a demotion takes effect)."""
    if key_role not in PEOPLE or member_role is None:
        return key_role
    member = ApiRole(member_role)
    return key_role if PEOPLE.index(key_role) <= PEOPLE.index(member) else member


class ApiKey(BaseModel):
    """A stored key, without its secret; `team_id` is the member's team, when the key acts for a member."""

    id: int
    role: ApiRole
    member_id: str | None = None
    team_id: str | None = None
    channel: Channel | None = None
    teams: list[str] = Field(default=[], description="a head's department's teams")
    label: str = ""
    created_at: datetime
    revoked_at: datetime | None = None


class NewApiKey(Boundary):
    """A key to issue: agents and supervisors act for a member; an integrator may be bound to one channel."""

    role: ApiRole
    member_id: str | None = Field(default=None, min_length=1, max_length=64, validate_default=True)
    channel: Channel | None = None
    label: str = Field(default="", max_length=200)

    schema_rules: ClassVar[dict[str, Any]] = {
        "anyOf": [
            {"properties": {"role": {"enum": [r.value for r in ApiRole if r not in PEOPLE]}}},
            {"required": ["member_id"], "properties": {"member_id": {"type": "string"}}},
        ]
    }

    @field_validator("member_id")
    @classmethod
    def _member_for_people(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("role") in PEOPLE:
            raise ValueError("agent, supervisor, head and director keys act for a member: name one")
        return value


class IssuedKey(BaseModel):
    """A newly created key: the only time its secret exists outside the caller's hands."""

    key: str
    record: ApiKey


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def generate_key() -> str:
    return _PREFIX + secrets.token_urlsafe(32)


_SELECT = """
SELECT k.id, k.role, k.member_id, m.team_id, m.role AS member_role, k.channel, k.label, k.created_at,
       k.revoked_at,
       coalesce((SELECT array_agg(t.id ORDER BY t.id) FROM teams t WHERE t.department = m.department), '{}')
         AS teams
FROM api_keys k LEFT JOIN members m ON m.id = k.member_id
"""


def _key(row: asyncpg.Record) -> ApiKey:
    role = effective_role(ApiRole(row["role"]), row["member_role"])
    return ApiKey(
        id=row["id"],
        role=role,
        member_id=row["member_id"],
        team_id=row["team_id"],
        teams=list(row["teams"]) if role is ApiRole.HEAD else [],
        channel=Channel(row["channel"]) if row["channel"] else None,
        label=row["label"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


async def create_api_key(pool: asyncpg.Pool, new: NewApiKey) -> IssuedKey:
    """Raises asyncpg.ForeignKeyViolationError when `member_id` names no member, RoleTooHigh when the key
    would carry more than the member's role."""
    if new.member_id is not None and new.role in PEOPLE:
        member_role = await pool.fetchval("SELECT role FROM members WHERE id = $1", new.member_id)
        if member_role is not None and effective_role(new.role, member_role) is not new.role:
            raise RoleTooHigh(f"member {new.member_id} is a {member_role}: a {new.role.value} key is more")
    raw = generate_key()
    key_id: int = await pool.fetchval(
        "INSERT INTO api_keys (key_hash, role, member_id, channel, label)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING id",
        hash_key(raw),
        new.role.value,
        new.member_id,
        new.channel.value if new.channel else None,
        new.label,
    )
    row = await pool.fetchrow(_SELECT + " WHERE k.id = $1", key_id)
    assert row is not None
    return IssuedKey(key=raw, record=_key(row))


async def lookup_api_key(pool: asyncpg.Pool, raw: str) -> ApiKey | None:
    """The live (not revoked) key with this secret, or None."""
    row = await pool.fetchrow(_SELECT + " WHERE k.key_hash = $1 AND k.revoked_at IS NULL", hash_key(raw))
    return _key(row) if row else None


async def list_api_keys(pool: asyncpg.Pool) -> list[ApiKey]:
    return [_key(r) for r in await pool.fetch(_SELECT + " ORDER BY k.id")]


async def revoke_api_key(pool: asyncpg.Pool, key_id: int) -> ApiKey | None:
    """Revoke (idempotently); None when no such key."""
    await pool.execute(
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1",
        key_id,
    )
    row = await pool.fetchrow(_SELECT + " WHERE k.id = $1", key_id)
    return _key(row) if row else None
