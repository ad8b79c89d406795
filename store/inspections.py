"""Quality inspection (质检, seeds 003, 004): the weekly sample per agent, and the supervisors' scores."""

from datetime import datetime

import asyncpg
from pydantic import BaseModel, Field

# Random but repeatable: the order is a hash of the ticket and the week, so a retried run samples the same.
_SAMPLE = """
INSERT INTO inspections (week, ticket_no, agent, team)
SELECT $3, ticket_no, agent, team FROM (
    SELECT a.ticket_no, a.record #>> '{ticket,assignee}' AS agent, a.record #>> '{ticket,team}' AS team,
           row_number() OVER (
               PARTITION BY a.record #>> '{ticket,assignee}' ORDER BY md5(a.ticket_no || $3)
           ) AS n
    FROM archive a
    WHERE a.closed_at >= $1 AND a.closed_at < $2 AND a.record #>> '{ticket,assignee}' IS NOT NULL
) s
WHERE n <= $4
ON CONFLICT (week, ticket_no) DO NOTHING
"""


class Inspection(BaseModel):
    id: int
    week: str
    ticket_no: str
    agent: str
    team: str | None = None
    offered_at: datetime
    scripts: int | None = Field(default=None, description="话术规范 scripts followed, 1–5")
    accuracy: int | None = Field(default=None, description="准确性 accuracy, 1–5")
    timeliness: int | None = Field(default=None, description="及时性 timeliness, 1–5")
    attitude: int | None = Field(default=None, description="服务态度 attitude, 1–5")
    comment: str | None = None
    scored_by: str | None = None
    scored_at: datetime | None = None


_COLUMNS = (
    "id, week, ticket_no, agent, team, offered_at, scripts, accuracy, timeliness, attitude, comment,"
    " scored_by, scored_at"
)


async def sample(pool: asyncpg.Pool, week: str, start: datetime, end: datetime, per_agent: int) -> int:
    """Offer up to `per_agent` of each agent's tickets closed in [start, end); how many the week holds."""
    if per_agent > 0:
        await pool.execute(_SAMPLE, start, end, week, per_agent)
    n: int = await pool.fetchval("SELECT count(*) FROM inspections WHERE week = $1", week)
    return n


async def pending(pool: asyncpg.Pool, teams: list[str] | None) -> list[Inspection]:
    """Unscored inspections of these teams (None: every team), oldest week first."""
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM inspections"
        " WHERE scored_at IS NULL AND ($1::text[] IS NULL OR team = ANY($1)) ORDER BY week, agent, ticket_no",
        teams,
    )
    return [Inspection(**dict(r)) for r in rows]


async def get(pool: asyncpg.Pool, inspection_id: int) -> Inspection | None:
    row = await pool.fetchrow(f"SELECT {_COLUMNS} FROM inspections WHERE id = $1", inspection_id)
    return Inspection(**dict(row)) if row else None


async def score(
    pool: asyncpg.Pool, inspection_id: int, scores: dict[str, int], comment: str, by: str, at: datetime
) -> Inspection | None:
    """Score an inspection once; None when it was already scored (or is not there)."""
    row = await pool.fetchrow(
        "UPDATE inspections SET scripts = $2, accuracy = $3, timeliness = $4, attitude = $5, comment = $6,"
        f" scored_by = $7, scored_at = $8 WHERE id = $1 AND scored_at IS NULL RETURNING {_COLUMNS}",
        inspection_id,
        scores["scripts"],
        scores["accuracy"],
        scores["timeliness"],
        scores["attitude"],
        comment,
        by,
        at,
    )
    return Inspection(**dict(row)) if row else None
