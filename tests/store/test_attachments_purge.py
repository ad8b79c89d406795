"""A purged ticket leaves no file behind; a content another ticket still carries stays for it."""

from datetime import UTC, datetime, timedelta

import asyncpg

from store import attachments
from store.retention import purge_batch


async def _closed_ticket(pool: asyncpg.Pool, no: str, closed: datetime) -> None:
    customer = await pool.fetchval(
        "INSERT INTO customers (name, phone, type, tier)"
        " VALUES ('王五', '13800001234', 'individual', 'standard') RETURNING id"
    )
    await pool.execute(
        "INSERT INTO tickets (ticket_no, channel, external_id, customer_id, kind, category, priority, status,"
        " description, closed_at) VALUES ($1, 'phone', $1, $2, 'complaint', 'logistics', 'high', 'closed',"
        " 'd', $3)",
        no,
        customer,
        closed,
    )
    await pool.execute(
        "INSERT INTO archive (ticket_no, record, closed_at) VALUES ($1, $2, $3)",
        no,
        {"ticket": {"ticket_no": no, "customer": {"customer_id": customer}}},
        closed,
    )


async def test_purge_takes_the_tickets_files_and_keeps_a_content_still_shared(pool: asyncpg.Pool) -> None:
    old, recent = datetime.now(UTC) - timedelta(days=800), datetime.now(UTC) - timedelta(days=1)
    await _closed_ticket(pool, "P-old", old)
    await _closed_ticket(pool, "P-new", recent)
    own, _ = await attachments.add(pool, "P-old", "录音.mp3", "audio/mpeg", b"ID3 only the old one", "a")
    shared, _ = await attachments.add(pool, "P-old", "s.txt", "text/plain", b"shared words", "a")
    await attachments.add(pool, "P-new", "s.txt", "text/plain", b"shared words", "a")

    assert await purge_batch(pool, datetime.now(UTC) - timedelta(days=730), 10) == (1, 1)
    assert await pool.fetchval("SELECT count(*) FROM attachments WHERE ticket_no = 'P-old'") == 0
    assert await pool.fetchval("SELECT count(*) FROM attachment_blobs WHERE sha256 = $1", own.sha256) == 0
    assert await pool.fetchval("SELECT count(*) FROM attachment_blobs WHERE sha256 = $1", shared.sha256) == 1
    assert [a.name for a in await attachments.list_for(pool, "P-new")] == ["s.txt"]
