"""Searching the root causes recorded at resolution (seed 003), over the archive."""

from datetime import datetime

import asyncpg
from pydantic import BaseModel


class RootCauseHit(BaseModel):
    """One archived ticket's root cause."""

    ticket_no: str
    category: str
    closed_at: datetime
    factor: str
    common: bool
    what: str
    why: str


async def search(
    pool: asyncpg.Pool,
    *,
    factor: str | None = None,
    category: str | None = None,
    text: str | None = None,
    common: bool | None = None,
    limit: int = 50,
) -> list[RootCauseHit]:
    """Newest first; `text` matches the 5W1H fields, case-insensitively."""
    rows = await pool.fetch(
        "SELECT ticket_no, record #>> '{ticket,category}' AS category, closed_at,"
        " record #>> '{root_cause,factor}' AS factor,"
        " coalesce((record #>> '{root_cause,common}')::boolean, false) AS common,"
        " record #>> '{root_cause,what}' AS what, coalesce(record #>> '{root_cause,why}', '') AS why"
        " FROM archive"
        " WHERE record #>> '{root_cause,factor}' IS NOT NULL"
        " AND ($1::text IS NULL OR record #>> '{root_cause,factor}' = $1)"
        " AND ($2::text IS NULL OR record #>> '{ticket,category}' = $2)"
        " AND ($3::boolean IS NULL OR coalesce((record #>> '{root_cause,common}')::boolean, false) = $3)"
        " AND ($4::text IS NULL OR strpos(lower(concat_ws(' ', record #>> '{root_cause,who}',"
        "   record #>> '{root_cause,when}', record #>> '{root_cause,where}', record #>> '{root_cause,what}',"
        "   record #>> '{root_cause,why}', record #>> '{root_cause,how}')), lower($4)) > 0)"
        " ORDER BY closed_at DESC, ticket_no LIMIT $5",
        factor,
        category,
        common,
        text,
        limit,
    )
    return [RootCauseHit(**dict(r)) for r in rows]
