"""Free text as it was typed, before masking: kept here only, read with the contact right and audited."""

from datetime import datetime

import asyncpg
from pydantic import BaseModel


class PrivateText(BaseModel):
    """One field of an action or an intake whose contact details were masked everywhere else."""

    field: str
    raw: str
    masked: str
    actor: str
    at: datetime


async def keep(pool: asyncpg.Pool, ticket_no: str, actor: str, texts: list[tuple[str, str, str]]) -> None:
    """(field, raw, masked) triples; a retry keeps nothing twice."""
    await pool.executemany(
        "INSERT INTO private_texts (ticket_no, field, raw, masked, actor) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (ticket_no, field, md5(raw)) DO NOTHING",
        [(ticket_no, field, raw, masked, actor) for field, raw, masked in texts],
    )


async def of_ticket(pool: asyncpg.Pool, ticket_no: str) -> list[PrivateText]:
    rows = await pool.fetch(
        "SELECT field, raw, masked, actor, at FROM private_texts WHERE ticket_no = $1 ORDER BY id", ticket_no
    )
    return [PrivateText(**dict(r)) for r in rows]
