"""The audit log: who read which ticket's unmasked customer contact, and when."""

from datetime import datetime

import asyncpg
from pydantic import BaseModel


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor: str
    ticket_no: str
    what: str


async def record_read(pool: asyncpg.Pool, actor: str, ticket_no: str, what: str) -> None:
    await pool.execute(
        "INSERT INTO audit_log (actor, ticket_no, what) VALUES ($1, $2, $3)", actor, ticket_no, what
    )


async def entries_for(pool: asyncpg.Pool, ticket_no: str) -> list[AuditEntry]:
    rows = await pool.fetch(
        "SELECT id, at, actor, ticket_no, what FROM audit_log WHERE ticket_no = $1 ORDER BY at, id", ticket_no
    )
    return [AuditEntry(**dict(r)) for r in rows]
