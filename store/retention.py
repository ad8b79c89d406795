"""The purge: archived tickets past retention leave every table; customers left without one are anonymized."""

from datetime import datetime

import asyncpg

from store import attachments

ANONYMIZED_NAME = "(anonymized)"

# Rows keyed by ticket number that go with the ticket (the audit log stays: it holds no contact).
_TICKET_TABLES = (
    "ticket_events",
    "notifications",
    "assignments",
    "incident_tickets",
    "private_texts",
    "customer_messages",
    "action_requests",
    "tickets",
    "archive",
)


async def purge_batch(pool: asyncpg.Pool, before: datetime, limit: int) -> tuple[int, int]:
    """Purge up to `limit` tickets closed before `before`: (tickets deleted, customers anonymized).

    One transaction a batch; a retried or concurrent run finds the rows gone (or locked) and moves on.
    """
    async with pool.acquire() as conn, conn.transaction():
        doomed = await conn.fetch(
            "SELECT a.ticket_no,"
            " coalesce(t.customer_id, (a.record #>> '{ticket,customer,customer_id}')::bigint) AS customer_id"
            " FROM archive a LEFT JOIN tickets t USING (ticket_no)"
            " WHERE a.closed_at < $1 ORDER BY a.closed_at LIMIT $2 FOR UPDATE OF a SKIP LOCKED",
            before,
            limit,
        )
        if not doomed:
            return 0, 0
        numbers = [r["ticket_no"] for r in doomed]
        customers = sorted({r["customer_id"] for r in doomed if r["customer_id"] is not None})
        for table in _TICKET_TABLES:
            await conn.execute(f"DELETE FROM {table} WHERE ticket_no = ANY($1::text[])", numbers)
        await attachments.purge_in(conn, numbers)
        anonymized = await conn.fetch(
            "UPDATE customers c SET name = $2, phone = NULL, email = NULL, preferred_contact = NULL"
            " WHERE c.id = ANY($1::bigint[])"
            " AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.customer_id = c.id)"
            " AND (c.name <> $2 OR c.phone IS NOT NULL OR c.email IS NOT NULL) RETURNING c.id",
            customers,
            ANONYMIZED_NAME,
        )
        # Nothing may find an anonymized customer again: their look-up keys go too.
        await conn.execute(
            "DELETE FROM customer_keys WHERE customer_id = ANY($1::bigint[])", [r["id"] for r in anonymized]
        )
    return len(numbers), len(anonymized)
