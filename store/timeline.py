"""The ticket timeline (ticket_events), read back in order; store/readmodel.py writes it."""

from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Executor = asyncpg.Connection | asyncpg.Pool | PoolConnectionProxy


async def timeline(conn: Executor, ticket_no: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT seq, at, type, actor, data FROM ticket_events WHERE ticket_no = $1 ORDER BY seq", ticket_no
    )
    return [
        {
            "seq": r["seq"],
            "at": r["at"].isoformat(),
            "type": r["type"],
            "actor": r["actor"],
            "data": r["data"],
        }
        for r in rows
    ]
