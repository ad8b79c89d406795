"""The archive: the full record of a closed ticket, written exactly once."""

from datetime import datetime
from typing import Any

import asyncpg

from store.timeline import Executor


async def archive(conn: Executor, ticket_no: str, record: dict[str, Any], closed_at: datetime) -> bool:
    """True when this call wrote the row; False when it was already archived."""
    status = await conn.execute(
        "INSERT INTO archive (ticket_no, record, closed_at) VALUES ($1, $2, $3)"
        " ON CONFLICT (ticket_no) DO NOTHING",
        ticket_no,
        record,
        closed_at,
    )
    return bool(status.endswith(" 1"))


async def archived(pool: asyncpg.Pool, ticket_no: str) -> dict[str, Any] | None:
    row = await pool.fetchrow("SELECT record FROM archive WHERE ticket_no = $1", ticket_no)
    return dict(row["record"]) if row else None
