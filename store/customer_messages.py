"""What a customer wrote after opening a ticket: kept as written, taken in by the ticket once."""

import hashlib

import asyncpg
from pydantic import BaseModel


class Message(BaseModel):
    id: int
    signalled: bool


def content_hash(text: str) -> str:
    return hashlib.sha256(text.strip().encode()).hexdigest()


async def take(pool: asyncpg.Pool, ticket_no: str, body: str, via: str) -> Message:
    """The message's row, new or already there: the same words sent twice are one message."""
    row = await pool.fetchrow(
        "INSERT INTO customer_messages (ticket_no, content_hash, body, via) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (ticket_no, content_hash) DO UPDATE SET ticket_no = EXCLUDED.ticket_no"
        " RETURNING id, signalled",
        ticket_no,
        content_hash(body),
        body,
        via,
    )
    assert row is not None
    return Message(id=row["id"], signalled=row["signalled"])


async def mark_signalled(pool: asyncpg.Pool, message_id: int) -> None:
    await pool.execute("UPDATE customer_messages SET signalled = true WHERE id = $1", message_id)
