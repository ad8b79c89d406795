"""Notification records (one per message and recipient, idempotent) and the lookups that find recipients."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from pydantic import BaseModel

from domain.enums import Role
from store.directory import Member, member_from_row

Executor = asyncpg.Connection | asyncpg.Pool | PoolConnectionProxy

_MEMBER_COLUMNS = "id, name, role, team_id, department, on_duty, capacity, email, webhook_url"


class TicketContact(BaseModel):
    """A ticket's customer with raw contact, for the customer's own message only, and who handles it."""

    ticket_no: str
    customer_id: int
    name: str
    phone: str | None
    email: str | None
    preferred_contact: str | None
    channel: str
    team: str | None
    assignee: str | None


class NotificationRecord(BaseModel):
    key: str
    ticket_no: str
    recipient: str
    template: str
    payload: dict[str, Any]
    created_at: datetime
    delivered_at: datetime | None
    attempts: int = 1


async def get_member(pool: asyncpg.Pool, member_id: str) -> Member | None:
    row = await pool.fetchrow(f"SELECT {_MEMBER_COLUMNS} FROM members WHERE id = $1", member_id)
    return member_from_row(row) if row else None


async def team_exists(pool: asyncpg.Pool, team: str) -> bool:
    return bool(await pool.fetchval("SELECT EXISTS (SELECT 1 FROM teams WHERE id = $1)", team))


async def team_supervisors(pool: asyncpg.Pool, team: str) -> list[Member]:
    rows = await pool.fetch(
        f"SELECT {_MEMBER_COLUMNS} FROM members WHERE role = $1 AND team_id = $2 ORDER BY id",
        Role.SUPERVISOR.value,
        team,
    )
    return [member_from_row(r) for r in rows]


async def department_heads(pool: asyncpg.Pool, team: str) -> list[Member]:
    """The heads of the department the team belongs to."""
    rows = await pool.fetch(
        f"SELECT {', '.join('m.' + c for c in _MEMBER_COLUMNS.split(', '))}"
        " FROM members m JOIN teams t ON t.department = m.department"
        " WHERE m.role = $1 AND t.id = $2 ORDER BY m.id",
        Role.HEAD.value,
        team,
    )
    return [member_from_row(r) for r in rows]


async def directors(pool: asyncpg.Pool) -> list[Member]:
    rows = await pool.fetch(
        f"SELECT {_MEMBER_COLUMNS} FROM members WHERE role = $1 ORDER BY id", Role.DIRECTOR.value
    )
    return [member_from_row(r) for r in rows]


async def ticket_contact(pool: asyncpg.Pool, ticket_no: str) -> TicketContact | None:
    row = await pool.fetchrow(
        "SELECT t.ticket_no, c.id AS customer_id, c.name, c.phone, c.email, c.preferred_contact,"
        " t.channel, t.team, t.assignee"
        " FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE t.ticket_no = $1",
        ticket_no,
    )
    return TicketContact.model_validate(dict(row)) if row else None


_COLUMNS = "key, ticket_no, recipient, template, payload, created_at, delivered_at, attempts"
# One round trip: the row this call inserted, else the first attempt's, counted as one more attempt unless
# it was delivered (the caller holds the key's delivery lock: no one else is writing it).
_CLAIM = f"""
INSERT INTO notifications (key, ticket_no, recipient, template, payload)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (key) DO UPDATE SET attempts = notifications.attempts
    + CASE WHEN notifications.delivered_at IS NULL THEN 1 ELSE 0 END
RETURNING {_COLUMNS}
"""


async def claim(
    pool: Executor, key: str, ticket_no: str, recipient: str, template: str, payload: dict[str, Any]
) -> NotificationRecord:
    """Record the notification unless already recorded; the stored row (a retry sees the first one)."""
    row = await pool.fetchrow(_CLAIM, key, ticket_no, recipient, template, payload)
    record = NotificationRecord.model_validate(dict(row)) if row else await get(pool, key)
    assert record is not None
    return record


@asynccontextmanager
async def delivery_lock(pool: asyncpg.Pool, key: str) -> AsyncIterator[PoolConnectionProxy | None]:
    """The connection holding the key's lock, or None when another attempt holds it (a timed-out one still
    running). Use that connection for the delivery's writes: taking a second one from the pool while this
    one is held deadlocks once every connection is held by a waiting delivery."""
    async with pool.acquire() as conn:
        try:
            held = bool(await conn.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", key))
        except BaseException:
            # Cancelled (a timed-out attempt) while asking: the server may have granted the lock whose
            # answer never came back, and nothing would release it. Closing the session does.
            conn.terminate()
            raise
        try:
            yield conn if held else None
        finally:
            if held:
                try:
                    await conn.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", key)
                except BaseException:
                    # A lock left on a pooled connection would hold back this key's deliveries for good
                    # (pools do not reset sessions, store/db.py): close the connection, which frees it.
                    conn.terminate()
                    raise


_DELIVERED = "COALESCE(payload->'delivered', '[]'::jsonb)"
_WITH_CHANNEL = f"jsonb_set(payload, '{{delivered}}', {_DELIVERED} || to_jsonb($2::text))"  # channel: $2


async def mark_channel_delivered(pool: Executor, key: str, channel: str) -> None:
    """Remember one channel's delivery, so a retry after a later channel fails does not repeat it."""
    await pool.execute(
        f"UPDATE notifications SET payload = {_WITH_CHANNEL} WHERE key = $1 AND NOT {_DELIVERED} ? $2",
        key,
        channel,
    )


async def mark_delivered(pool: Executor, key: str, channel: str | None = None) -> None:
    """The notification is delivered; with `channel`, that channel's delivery is remembered in the same
    statement (the last channel's, one round trip fewer)."""
    await pool.execute(
        "UPDATE notifications SET delivered_at = COALESCE(delivered_at, now()),"
        f" payload = CASE WHEN $2::text IS NULL OR {_DELIVERED} ? $2 THEN payload"
        f" ELSE {_WITH_CHANNEL} END"
        " WHERE key = $1",
        key,
        channel,
    )


async def get(pool: Executor, key: str) -> NotificationRecord | None:
    row = await pool.fetchrow(f"SELECT {_COLUMNS} FROM notifications WHERE key = $1", key)
    return NotificationRecord.model_validate(dict(row)) if row else None


async def for_ticket(pool: asyncpg.Pool, ticket_no: str) -> list[NotificationRecord]:
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM notifications WHERE ticket_no = $1 ORDER BY created_at, key",
        ticket_no,
    )
    return [NotificationRecord.model_validate(dict(r)) for r in rows]
