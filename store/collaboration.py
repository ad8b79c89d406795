"""Collaboration requests as the tickets' views keep them: counts and on-time rate per asked team."""

from datetime import datetime

import asyncpg
from pydantic import BaseModel


class TeamCollaboration(BaseModel):
    team: str
    asked: int
    answered: int
    on_time: int
    escalated: int
    late_open: int  # not answered, past due
    on_time_rate: float | None  # on time / (answered + late and open); None when none is due yet


async def per_team(pool: asyncpg.Pool, since: datetime, until: datetime) -> list[TeamCollaboration]:
    """Requests asked in [since, until), per asked team."""
    rows = await pool.fetch(
        "SELECT c->>'team' AS team, count(*) AS asked,"
        " count(*) FILTER (WHERE c->>'status' = 'answered') AS answered,"
        " count(*) FILTER (WHERE (c->>'on_time')::boolean) AS on_time,"
        " count(*) FILTER (WHERE (c->>'escalated')::boolean) AS escalated,"
        " count(*) FILTER (WHERE c->>'status' = 'open' AND (c->>'due')::timestamptz < now()) AS late_open"
        " FROM tickets t, jsonb_array_elements(coalesce(t.view->'collaborations', '[]'::jsonb)) c"
        " WHERE (c->>'asked_at')::timestamptz >= $1 AND (c->>'asked_at')::timestamptz < $2"
        " GROUP BY 1 ORDER BY 1",
        since,
        until,
    )
    out = []
    for r in rows:
        due = r["answered"] + r["late_open"]
        rate = round(r["on_time"] / due, 4) if due else None
        out.append(TeamCollaboration(**dict(r), on_time_rate=rate))
    return out
