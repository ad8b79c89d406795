"""The ticket timeline (ticket_events): one row an event, written once per (ticket_no, seq)."""

from datetime import datetime
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Executor = asyncpg.Connection | asyncpg.Pool | PoolConnectionProxy


async def insert_event(
    conn: Executor,
    ticket_no: str,
    seq: int,
    at: datetime,
    type_: str,
    actor: str | None,
    data: dict[str, Any],
) -> bool:
    """True when written, False when that (ticket_no, seq) was already there (a retried activity)."""
    status = await conn.execute(
        "INSERT INTO ticket_events (ticket_no, seq, at, type, actor, data) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (ticket_no, seq) DO NOTHING",
        ticket_no,
        seq,
        at,
        type_,
        actor,
        data,
    )
    return bool(status.endswith(" 1"))


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
