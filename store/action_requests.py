"""Actions sent with an Idempotency-Key: what each key was first used for, and the answer it got."""

from typing import Any

import asyncpg
from pydantic import BaseModel


class ActionRequest(BaseModel):
    ticket_no: str
    action: str
    body_hash: str
    response: dict[str, Any] | None = None


async def claim(
    pool: asyncpg.Pool, caller: str, key: str, ticket_no: str, action: str, body_hash: str
) -> ActionRequest:
    """The key's first use: this one when it is new, the earlier one when it is a retry."""
    row = await pool.fetchrow(
        "INSERT INTO action_requests (caller, key, ticket_no, action, body_hash)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"
        " RETURNING ticket_no, action, body_hash, response",
        caller,
        key,
        ticket_no,
        action,
        body_hash,
    )
    if row is None:  # a statement of its own: it sees the concurrent first use the insert waited for
        row = await pool.fetchrow(
            "SELECT ticket_no, action, body_hash, response FROM action_requests"
            " WHERE caller = $1 AND key = $2",
            caller,
            key,
        )
    assert row is not None
    return ActionRequest(**dict(row))


async def answered(pool: asyncpg.Pool, caller: str, key: str, response: dict[str, Any]) -> None:
    await pool.execute(
        "UPDATE action_requests SET response = $3 WHERE caller = $1 AND key = $2", caller, key, response
    )
