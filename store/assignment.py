"""Assignment rounds: the least-loaded on-duty agent, chosen atomically so no one is ever overloaded."""

from datetime import datetime

import asyncpg

from domain.enums import Priority
from store import queue
from store.timeline import Executor


class MemberUnavailable(LookupError):
    """A named member cannot take the ticket; the message says why."""


# The chosen member's capacity and the round's row, in one statement ($1 ticket, $2 round, $3 team): the
# round's lock is held for one round trip fewer. `chosen` is the UPDATE … RETURNING id that picks.
_TAKE = (
    "WITH chosen AS ({chosen})"
    " INSERT INTO assignments (ticket_no, round, member_id, team_id)"
    " SELECT $1, $2, id, $3 FROM chosen RETURNING member_id"
)
_NAMED = _TAKE.format(
    chosen="UPDATE members SET open_count = open_count + 1"
    " WHERE id = $4 AND team_id = $3 AND on_duty AND open_count < capacity RETURNING id"
)
_LEAST_LOADED = _TAKE.format(
    chosen="UPDATE members SET open_count = open_count + 1 WHERE id = ("
    " SELECT id FROM members WHERE team_id = $3 AND role = 'agent' AND on_duty"
    " AND open_count < capacity AND NOT (id = ANY($4::text[]))"
    " ORDER BY open_count, id LIMIT 1) RETURNING id"
)


async def assign(
    pool: asyncpg.Pool,
    ticket_no: str,
    round_: int,
    team: str,
    exclude: list[str],
    member_id: str | None = None,
    priority: Priority = Priority.MEDIUM,
    opened_at: datetime | None = None,
) -> str | None:
    """The member given round `round_` of the ticket (the same one on every retry), or None when the team
    has nobody on duty with free capacity for it; then the ticket waits in the team's queue, whose tickets
    ahead of it take the free slots first. Takes one unit of that member's capacity, once."""
    async with pool.acquire() as conn, conn.transaction():
        # One round at a time per ticket: a retried attempt sees the first attempt's row.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", ticket_no)
        done = await conn.fetchrow(
            "SELECT member_id FROM assignments WHERE ticket_no = $1 AND round = $2", ticket_no, round_
        )
        if done is not None:
            return str(done["member_id"]) if done["member_id"] else None
        if member_id is not None:
            chosen = await conn.fetchval(_NAMED, ticket_no, round_, team, member_id)
            if chosen is None:
                row = await conn.fetchrow("SELECT team_id FROM members WHERE id = $1", member_id)
                if row is None:
                    why = "is not in the directory"
                elif row["team_id"] != team:
                    # The ticket's team, clocks and supervisors stay with one team: move the team instead.
                    why = f"is in team {row['team_id']!r}, not {team!r}: reassign to that team instead"
                else:
                    why = "is off duty or at full capacity"
                raise MemberUnavailable(f"member {member_id!r} {why}")
            await queue.dequeue(conn, ticket_no)
            return str(chosen)
        # One pick at a time per team, under a team lock, so simultaneous tickets never overload anyone (row
        # locks alone deadlocked under a burst). The pick follows the lock, so it sees the holder's write.
        await conn.execute("SELECT pg_advisory_xact_lock(1, hashtext($1))", team)
        opened = opened_at or await conn.fetchval("SELECT now()")
        chosen = None
        # Seed 001: the free slots go to the queue's head first; this ticket only gets one left over.
        if await queue.has_room(conn, team, ticket_no, priority, opened):
            chosen = await conn.fetchval(_LEAST_LOADED, ticket_no, round_, team, exclude)
        if chosen is None:
            if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM teams WHERE id = $1)", team):
                await queue.enqueue(conn, team, ticket_no, priority, opened)
            return None
        await queue.dequeue(conn, ticket_no)
        return str(chosen)


async def team_exists(pool: asyncpg.Pool, team: str) -> bool:
    return bool(await pool.fetchval("SELECT EXISTS (SELECT 1 FROM teams WHERE id = $1)", team))


async def release(pool: asyncpg.Pool, ticket_no: str, round_: int) -> bool:
    """Give back the capacity the round took; True only the first time."""
    async with pool.acquire() as conn, conn.transaction():
        return await release_in(conn, ticket_no, round_)


async def release_in(conn: Executor, ticket_no: str, round_: int) -> bool:
    """`release` inside the caller's transaction (the archive gives the capacity back with it)."""
    member = await conn.fetchval(
        "UPDATE assignments SET released = true WHERE ticket_no = $1 AND round = $2 AND NOT released"
        " AND member_id IS NOT NULL RETURNING member_id",
        ticket_no,
        round_,
    )
    if member is None:
        return False
    await conn.execute("UPDATE members SET open_count = GREATEST(open_count - 1, 0) WHERE id = $1", member)
    return True
