"""Incidents and their tickets: opened once per dedupe key, linked idempotently, closed by a supervisor."""

from datetime import datetime

import asyncpg

from domain.incident import Incident, IncidentStatus

_SELECT = (
    "SELECT i.id, i.category, i.product, i.order_batch, i.team, i.status, i.opened_at, i.closed_at,"
    " i.closed_by, i.note, i.solution, i.root_cause,"
    " coalesce(array_agg(it.ticket_no ORDER BY it.ticket_no) FILTER (WHERE it.ticket_no IS NOT NULL), '{}')"
    " AS ticket_nos"
    " FROM incidents i LEFT JOIN incident_tickets it ON it.incident_id = i.id"
)


def _incident(row: asyncpg.Record) -> Incident:
    return Incident(**dict(row))


async def open_incident(
    pool: asyncpg.Pool,
    dedupe_key: str,
    category: str,
    product: str | None,
    order_batch: str | None,
    team: str | None,
    opened_at: datetime,
) -> tuple[int, bool]:
    """(incident id, True when this call created it); the same dedupe key always answers the same id."""
    row = await pool.fetchrow(
        "INSERT INTO incidents (dedupe_key, category, product, order_batch, team, opened_at)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        dedupe_key,
        category,
        product,
        order_batch,
        team,
        opened_at,
    )
    if row is not None:
        return int(row["id"]), True
    existing = await pool.fetchval("SELECT id FROM incidents WHERE dedupe_key = $1", dedupe_key)
    return int(existing), False


async def link(pool: asyncpg.Pool, incident_id: int, ticket_nos: list[str]) -> tuple[int, bool]:
    """Link tickets to an open incident: (how many links are new, whether the incident is still open).

    A closed incident links nothing more; a link already there is left alone.
    """
    async with pool.acquire() as conn, conn.transaction():
        status = await conn.fetchval("SELECT status FROM incidents WHERE id = $1 FOR SHARE", incident_id)
        if status != IncidentStatus.OPEN.value:
            return 0, False
        result = await conn.execute(
            "INSERT INTO incident_tickets (incident_id, ticket_no) SELECT $1, unnest($2::text[])"
            " ON CONFLICT DO NOTHING",
            incident_id,
            ticket_nos,
        )
    return int(result.rsplit(" ", 1)[-1]), True


async def get(pool: asyncpg.Pool, incident_id: int) -> Incident | None:
    row = await pool.fetchrow(_SELECT + " WHERE i.id = $1 GROUP BY i.id", incident_id)
    return _incident(row) if row else None


async def listing(
    pool: asyncpg.Pool, status: IncidentStatus | None = None, limit: int = 100, before_id: int | None = None
) -> list[Incident]:
    """Newest first; `before_id` pages on."""
    rows = await pool.fetch(
        _SELECT + " WHERE ($1::text IS NULL OR i.status = $1) AND ($2::bigint IS NULL OR i.id < $2)"
        " GROUP BY i.id ORDER BY i.id DESC LIMIT $3",
        status.value if status else None,
        before_id,
        limit,
    )
    return [_incident(r) for r in rows]


async def close(
    pool: asyncpg.Pool, incident_id: int, by: str, note: str | None, at: datetime
) -> Incident | None:
    """Close an open incident (a closed one stays as it was closed); None when there is no such incident."""
    await pool.execute(
        "UPDATE incidents SET status = 'closed', closed_at = $2, closed_by = $3, note = $4"
        " WHERE id = $1 AND status = 'open'",
        incident_id,
        at,
        by,
        note,
    )
    return await get(pool, incident_id)


async def of_ticket(pool: asyncpg.Pool, ticket_no: str) -> list[Incident]:
    """The incidents a ticket is linked to."""
    rows = await pool.fetch(
        _SELECT + " WHERE i.id IN (SELECT incident_id FROM incident_tickets WHERE ticket_no = $1)"
        " GROUP BY i.id ORDER BY i.id",
        ticket_no,
    )
    return [_incident(r) for r in rows]


async def team_staff(pool: asyncpg.Pool, team: str) -> list[str]:
    """The on-duty agents of a team (its supervisors are told through their own audience)."""
    rows = await pool.fetch(
        "SELECT id FROM members WHERE team_id = $1 AND role = 'agent' AND on_duty ORDER BY id", team
    )
    return [r["id"] for r in rows]


async def record_resolution(
    pool: asyncpg.Pool, incident_id: int, solution: str, root_cause: dict[str, object] | None
) -> None:
    """The solution and cause the incident's tickets were resolved with (the latest call's)."""
    await pool.execute(
        "UPDATE incidents SET solution = $2, root_cause = $3 WHERE id = $1", incident_id, solution, root_cause
    )


async def open_tickets(pool: asyncpg.Pool, incident_id: int) -> list[str]:
    """The incident's linked tickets not yet closed, in number order."""
    rows = await pool.fetch(
        "SELECT it.ticket_no FROM incident_tickets it JOIN tickets t ON t.ticket_no = it.ticket_no"
        " WHERE it.incident_id = $1 AND t.closed_at IS NULL ORDER BY it.ticket_no",
        incident_id,
    )
    return [r["ticket_no"] for r in rows]
