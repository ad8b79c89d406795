"""Team queues: tickets waiting for a free slot, highest priority first, then by intake time (seed 001)."""

from datetime import datetime

from domain.enums import Priority
from store.timeline import Executor

# Queue order: urgent first; the same priority by intake time; the ticket number breaks ties.
RANK = {p: i for i, p in enumerate(Priority)}

# Slots still free in a team: what its on-duty agents can take before reaching their capacity.
_FREE = (
    "SELECT coalesce(sum(greatest(capacity - open_count, 0)), 0) FROM members"
    " WHERE team_id = $1 AND role = 'agent' AND on_duty"
)


async def has_room(
    conn: Executor, team: str, ticket_no: str, priority: Priority, opened_at: datetime
) -> bool:
    """Whether the team's free slots outnumber the queued tickets ahead of this one (one round trip)."""
    return bool(
        await conn.fetchval(
            "SELECT (SELECT count(*) FROM team_queue WHERE team_id = $1 AND ticket_no <> $2"
            f" AND (rank, opened_at, ticket_no) < ($3, $4, $2)) < ({_FREE})",
            team,
            ticket_no,
            RANK[priority],
            opened_at,
        )
    )


async def enqueue(conn: Executor, team: str, ticket_no: str, priority: Priority, opened_at: datetime) -> None:
    """Put the ticket in its team's queue (or move it, when its team or priority changed)."""
    await conn.execute(
        "INSERT INTO team_queue (ticket_no, team_id, rank, opened_at) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (ticket_no) DO UPDATE SET team_id = EXCLUDED.team_id, rank = EXCLUDED.rank,"
        " opened_at = EXCLUDED.opened_at",
        ticket_no,
        team,
        RANK[priority],
        opened_at,
    )


async def dequeue(conn: Executor, ticket_no: str) -> None:
    await conn.execute("DELETE FROM team_queue WHERE ticket_no = $1", ticket_no)


async def heads(conn: Executor, team: str) -> list[str]:
    """The queued tickets the team's free slots can take now, in queue order: those to wake."""
    rows = await conn.fetch(
        f"SELECT ticket_no FROM team_queue WHERE team_id = $1 ORDER BY rank, opened_at, ticket_no"
        f" LIMIT ({_FREE})",
        team,
    )
    return [str(r["ticket_no"]) for r in rows]


async def queued(conn: Executor, team: str) -> list[str]:
    """The team's queue, in the order its tickets will be assigned."""
    rows = await conn.fetch(
        "SELECT ticket_no FROM team_queue WHERE team_id = $1 ORDER BY rank, opened_at, ticket_no", team
    )
    return [str(r["ticket_no"]) for r in rows]
