"""Reading the directory: teams and members, for the admin endpoints and the API's authorisation."""

import asyncpg

from store.directory import Member, Team, member_from_row


async def list_teams(pool: asyncpg.Pool) -> list[Team]:
    rows = await pool.fetch("SELECT id, name, department FROM teams ORDER BY id")
    return [Team(id=r["id"], name=r["name"], department=r["department"]) for r in rows]


_MEMBER = "SELECT id, name, role, team_id, department, on_duty, capacity, email, webhook_url FROM members"


async def list_members(pool: asyncpg.Pool, team_id: str | None = None) -> list[Member]:
    if team_id is None:
        rows = await pool.fetch(_MEMBER + " ORDER BY id")
    else:
        rows = await pool.fetch(_MEMBER + " WHERE team_id = $1 ORDER BY id", team_id)
    return [member_from_row(r) for r in rows]


async def get_member(pool: asyncpg.Pool, member_id: str) -> Member | None:
    r = await pool.fetchrow(_MEMBER + " WHERE id = $1", member_id)
    return member_from_row(r) if r else None


async def team_exists(pool: asyncpg.Pool, team_id: str) -> bool:
    return bool(await pool.fetchval("SELECT EXISTS (SELECT 1 FROM teams WHERE id = $1)", team_id))
