"""The retention purge: archived tickets past the policy's retention leave every table, their customers lose
their contact, and the run says how many it touched."""

from datetime import UTC, datetime, timedelta

import asyncpg
from temporalio.testing import WorkflowEnvironment

from domain.retention import PurgeInput
from infra.settings import Settings
from store.retention import ANONYMIZED_NAME, purge_batch
from workflows.retention import PurgeWorkflow

from .helpers import insight_worker

YEAR = timedelta(days=365)


async def _customer(pool: asyncpg.Pool, name: str) -> int:
    cid: int = await pool.fetchval(
        "INSERT INTO customers (name, phone, email, type, tier) VALUES ($1, '13800001234', 'a@b.cn',"
        " 'individual', 'standard') RETURNING id",
        name,
    )
    return cid


async def _ticket(pool: asyncpg.Pool, no: str, customer: int, closed: datetime | None) -> None:
    await pool.execute(
        "INSERT INTO tickets (ticket_no, channel, external_id, customer_id, kind, category, priority, status,"
        " description, created_at, closed_at)"
        " VALUES ($1, 'phone', $1, $2, 'complaint', 'logistics', 'high', $3, 'd', $4, $5)",
        no,
        customer,
        "closed" if closed else "in_progress",
        (closed or datetime.now(UTC)) - timedelta(days=3),
        closed,
    )
    await pool.execute(
        "INSERT INTO ticket_events (ticket_no, seq, at, type) VALUES ($1, 1, now(), 'opened')", no
    )
    await pool.execute(
        "INSERT INTO notifications (key, ticket_no, recipient, template, payload)"
        " VALUES ($1, $2, 'x', 't', '{}')",
        f"{no}:1",
        no,
    )
    if closed is not None:
        await pool.execute(
            "INSERT INTO archive (ticket_no, record, closed_at) VALUES ($1, $2, $3)",
            no,
            {"ticket": {"ticket_no": no, "customer": {"customer_id": customer}}},
            closed,
        )


async def test_purge_deletes_archived_tickets_past_retention_and_anonymizes_their_customers(
    time_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings
) -> None:
    # The test server's clock, not the machine's: other tests may have skipped it ahead.
    now = await time_env.get_current_time()
    old, recent = now - 3 * YEAR, now - YEAR
    a, b, c, d = [await _customer(pool, n) for n in ("张三", "李四", "王五", "赵六")]
    await _ticket(pool, "P-1", a, old)
    await _ticket(pool, "P-2", b, old)
    await _ticket(pool, "P-3", b, old - timedelta(days=30))
    await _ticket(pool, "P-4", c, old)
    await _ticket(pool, "P-5", c, None)  # c still has an open ticket: keeps the contact
    await _ticket(pool, "P-6", d, recent)  # within two years: kept

    # No skipping while this runs: a timer left by another test must not move "now" by years.
    with time_env.auto_time_skipping_disabled():
        async with insight_worker(time_env.client, pool, settings):
            first = await time_env.client.execute_workflow(
                PurgeWorkflow.run,
                PurgeInput(keep=timedelta(days=730), batch_size=2),
                id=f"purge-{settings.task_queue}",
                task_queue=settings.task_queue,
            )
    assert now + timedelta(minutes=5) > first.before + timedelta(days=730) >= now
    again = await purge_batch(pool, first.before, 100)

    assert (first.tickets, first.customers) == (4, 2)
    assert again == (0, 0)  # a retried or repeated run touches nothing more
    for table in ("tickets", "archive", "ticket_events", "notifications"):
        left = await pool.fetch(f"SELECT DISTINCT ticket_no FROM {table} ORDER BY ticket_no")
        expected = ["P-5", "P-6"] if table != "archive" else ["P-6"]
        assert [r["ticket_no"] for r in left] == expected, table
    rows = {r["id"]: r for r in await pool.fetch("SELECT id, name, phone, email FROM customers")}
    for gone in (a, b):
        assert (rows[gone]["name"], rows[gone]["phone"], rows[gone]["email"]) == (ANONYMIZED_NAME, None, None)
    for kept, name in ((c, "王五"), (d, "赵六")):
        assert (rows[kept]["name"], rows[kept]["phone"]) == (name, "13800001234")
