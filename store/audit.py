"""The audit log: who read which ticket's or customer's unmasked contact, and when."""

from datetime import datetime

import asyncpg
from pydantic import BaseModel


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor: str
    ticket_no: str | None = None
    customer_id: int | None = None
    what: str


async def record_read(pool: asyncpg.Pool, actor: str, ticket_no: str, what: str) -> None:
    await pool.execute(
        "INSERT INTO audit_log (actor, ticket_no, what) VALUES ($1, $2, $3)", actor, ticket_no, what
    )


async def record_customer_read(pool: asyncpg.Pool, actor: str, customer_id: int, what: str) -> None:
    await pool.execute(
        "INSERT INTO audit_log (actor, customer_id, what) VALUES ($1, $2, $3)", actor, customer_id, what
    )


async def entries_for(pool: asyncpg.Pool, ticket_no: str) -> list[AuditEntry]:
    rows = await pool.fetch(
        "SELECT id, at, actor, ticket_no, customer_id, what FROM audit_log WHERE ticket_no = $1"
        " ORDER BY at, id",
        ticket_no,
    )
    return [AuditEntry(**dict(r)) for r in rows]


async def entries_for_customer(pool: asyncpg.Pool, customer_id: int) -> list[AuditEntry]:
    rows = await pool.fetch(
        "SELECT id, at, actor, ticket_no, customer_id, what FROM audit_log WHERE customer_id = $1"
        " ORDER BY at, id",
        customer_id,
    )
    return [AuditEntry(**dict(r)) for r in rows]
