"""Notification records: a retried claim finds the first attempt's row, the last channel and the whole
message are marked delivered in one write, and a retry changes neither."""

import uuid

import asyncpg

from store import notifications as store


async def test_a_retried_claim_gets_the_first_attempts_row_counted_as_a_second_attempt(
    pool: asyncpg.Pool,
) -> None:
    key = f"T-{uuid.uuid4().hex}:assigned:agent-1"
    first = await store.claim(pool, key, "T-1", "agent-1", "assigned", {"channels": ["log"], "delivered": []})
    again = await store.claim(pool, key, "T-1", "agent-1", "assigned", {"channels": ["log", "webhook"]})
    assert again == first.model_copy(update={"attempts": 2})
    assert again.payload == {"channels": ["log"], "delivered": []}
    assert again.delivered_at is None
    await store.mark_delivered(pool, key, "log")
    after = await store.claim(pool, key, "T-1", "agent-1", "assigned", {"channels": ["log"]})
    assert after.attempts == 2  # a delivered message is not attempted again


async def test_the_last_channel_and_the_message_are_marked_delivered_together(pool: asyncpg.Pool) -> None:
    key = f"T-{uuid.uuid4().hex}:callback:customer-1"
    await store.claim(
        pool, key, "T-2", "customer-1", "callback", {"channels": ["log", "email"], "delivered": []}
    )
    await store.mark_channel_delivered(pool, key, "log")
    await store.mark_delivered(pool, key, "email")
    done = await store.get(pool, key)
    assert done is not None and done.delivered_at is not None
    assert done.payload["delivered"] == ["log", "email"]

    await store.mark_delivered(pool, key, "email")  # a retry that got as far: nothing changes
    await store.mark_delivered(pool, key)
    again = await store.get(pool, key)
    assert again == done


async def test_a_message_whose_channels_all_went_out_before_is_marked_delivered(pool: asyncpg.Pool) -> None:
    key = f"T-{uuid.uuid4().hex}:resolved:customer-2"
    await store.claim(pool, key, "T-3", "customer-2", "resolved", {"channels": ["log"], "delivered": ["log"]})
    await store.mark_delivered(pool, key)
    done = await store.get(pool, key)
    assert done is not None and done.delivered_at is not None
    assert done.payload["delivered"] == ["log"]
