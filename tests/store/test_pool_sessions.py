"""The store's writes on pooled connections: one statement a record, and no session state left behind
(the pool does not reset connections on release)."""

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from domain.enums import Channel
from domain.ticket import TicketView
from store import readmodel
from store.notifications import delivery_lock
from store.timeline import timeline


async def _lock_is_free(database: str, key: str) -> bool:
    """Asked from a session of its own (a pooled one may be the holder: session locks are re-entrant)."""
    other = await asyncpg.connect(database)
    try:
        return bool(await other.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", key))
    finally:
        await other.close()


async def test_a_delivery_lock_that_cannot_be_unlocked_closes_its_connection_and_frees_the_key(
    pool: asyncpg.Pool, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = f"lock-{uuid.uuid4().hex}"
    real = asyncpg.Connection.execute

    async def unlock_fails(self: asyncpg.Connection, query: str, *args: Any, **kw: Any) -> str:
        if "pg_advisory_unlock" in query:
            raise ConnectionResetError("the unlock never reached the server")
        return await real(self, query, *args, **kw)

    with pytest.raises(ConnectionResetError):
        async with delivery_lock(pool, key) as conn:
            assert conn is not None
            monkeypatch.setattr(asyncpg.Connection, "execute", unlock_fails)
    monkeypatch.undo()
    # The next delivery of the same key gets the lock: it did not stay on a pooled connection.
    assert await _lock_is_free(database, key)
    async with delivery_lock(pool, key) as again:
        assert again is not None


async def test_a_delivery_lock_cancelled_while_asked_for_closes_its_connection_and_frees_the_key(
    pool: asyncpg.Pool, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found by the fault flood: an attempt cancelled between the server granting the lock and the answer
    # reaching it left the lock on a pooled connection, and the key's notice was never delivered.
    key = f"lock-{uuid.uuid4().hex}"
    real = asyncpg.Connection.fetchval

    async def granted_then_cancelled(self: asyncpg.Connection, query: str, *args: Any, **kw: Any) -> Any:
        answer = await real(self, query, *args, **kw)
        if "pg_try_advisory_lock" in query:
            raise asyncio.CancelledError  # the lock is the server's now; the answer is lost
        return answer

    monkeypatch.setattr(asyncpg.Connection, "fetchval", granted_then_cancelled)
    with pytest.raises(asyncio.CancelledError):
        async with delivery_lock(pool, key):
            pass
    monkeypatch.undo()
    assert await _lock_is_free(database, key)


async def test_a_delivery_lock_is_released_for_the_next_attempt(pool: asyncpg.Pool, database: str) -> None:
    key = f"lock-{uuid.uuid4().hex}"
    async with delivery_lock(pool, key) as conn:
        assert conn is not None
        async with delivery_lock(pool, key) as rival:
            assert rival is None  # held by the first
    assert await _lock_is_free(database, key)


async def test_an_event_and_its_state_are_written_together_once(pool: asyncpg.Pool) -> None:
    ticket_no = f"T{uuid.uuid4().hex[:10]}"
    customer_id = await pool.fetchval(
        "INSERT INTO customers (name, type, tier, preferred_contact)"
        " VALUES ('李四', 'individual', 'standard', 'email') RETURNING id"
    )
    await pool.execute(
        "INSERT INTO tickets (ticket_no, channel, external_id, customer_id, kind, category, priority, status,"
        " description) VALUES ($1, 'email', $1, $2, 'consultation', 'other', 'medium', 'new', 'a ticket')",
        ticket_no,
        customer_id,
    )
    view = TicketView.model_validate(
        {
            "ticket_no": ticket_no,
            "status": "assigned",
            "priority": "medium",
            "kind": "consultation",
            "category": "other",
            "channel": Channel.EMAIL.value,
            "customer": {
                "customer_id": customer_id,
                "display_name": "李*",
                "type": "individual",
                "tier": "standard",
                "preferred_contact": "email",
            },
            "assignee": "ann",
            "opened_at": "2026-11-23T08:00:00Z",
        }
    )
    at = view.opened_at
    assigned: list[readmodel.Event] = [(2, at, "assigned", None, {"member": "ann"})]
    assert await readmodel.record_events(pool, assigned, view) == (True, True)
    # A retried activity: nothing written twice, and an older state never overwrites a newer one.
    assert await readmodel.record_events(pool, assigned, view) == (False, False)
    older = view.model_copy(update={"assignee": None})
    assert await readmodel.record_events(pool, [(1, at, "opened", None, {})], older) == (True, False)
    assert [e["type"] for e in await timeline(pool, ticket_no)] == ["opened", "assigned"]
    assert await pool.fetchval("SELECT assignee FROM tickets WHERE ticket_no = $1", ticket_no) == "ann"
