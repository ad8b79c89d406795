"""Actions sent with an `Idempotency-Key`: the key becomes the Temporal update's id, so a retry through
any API process is applied once and answers the first result; another body under the same key is 422."""

import hashlib
from collections.abc import Awaitable, Callable

import asyncpg
from fastapi import Header
from pydantic import BaseModel

from api.errors import ApiError
from domain.ticket import TicketView
from store import action_requests

KEY_PATTERN = r"^[A-Za-z0-9_.:-]+$"
IDEMPOTENCY_KEY = Header(
    default=None,
    alias="Idempotency-Key",
    min_length=1,
    max_length=128,
    pattern=KEY_PATTERN,
    description="a retry with the same key answers the first result; another body with it answers 422",
)


async def once(
    pool: asyncpg.Pool,
    actor: str,
    key: str | None,
    ticket_no: str,
    action: str,
    body: BaseModel,
    run: Callable[[str | None], Awaitable[TicketView]],
) -> TicketView:
    """`run(update_id)` once per (actor, key); without a key, every call runs."""
    if key is None:
        return await run(None)
    digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    first = await action_requests.claim(pool, actor, key, ticket_no, action, digest)
    if (first.ticket_no, first.action, first.body_hash) != (ticket_no, action, digest):
        message = "Idempotency-Key: already used for another request; send a new key"
        raise ApiError(422, "invalid", message, "Idempotency-Key")
    if first.response is not None:
        return TicketView.model_validate(first.response)
    view = await run("idem-" + hashlib.sha256(f"{actor}\n{key}".encode()).hexdigest()[:40])
    await action_requests.answered(pool, actor, key, view.model_dump(mode="json"))
    return view
