"""An archived record's report fields are typed once, in the archive's own statement (migration 043): by the
archive activity's write, by a bulk load, and for the records archived before the migration."""

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from cli.embedded import EmbeddedPostgres
from store import archive
from store.db import migrate, migration_files

OPENED = datetime(2026, 11, 24, 2, tzinfo=UTC)
M = timedelta(minutes=1)


def _record(no: str, customer: int, **ticket: Any) -> dict[str, Any]:
    view = {
        "ticket_no": no,
        "category": "logistics",
        "priority": "high",
        "team": "logistics",
        "assignee": "ag1",
        "opened_at": OPENED.isoformat(),
        "acknowledged_at": (OPENED + 10 * M).isoformat(),
        "first_response_at": (OPENED + 90 * M).isoformat(),
        "resolved_at": (OPENED + 300 * M).isoformat(),
        "closed_at": (OPENED + 600 * M).isoformat(),
        "reopen_count": 1,
        "customer": {"customer_id": customer},
        **ticket,
    }
    return {
        "ticket": view,
        "root_cause": {"what": "courier lost parcels", "why": "x", "factor": "method", "common": True},
        "satisfaction": {"solved": True, "score": 4},
        "close_reason": "satisfied",
        "deadlines": [
            {"clock": "ack", "met": True, "due": view["opened_at"], "at": view["opened_at"]},
            {"clock": "update", "met": False, "due": view["opened_at"], "at": view["opened_at"]},
            {"clock": "resolve", "met": True, "due": view["opened_at"], "at": view["opened_at"]},
        ],
    }


async def _facts(conn: asyncpg.Pool | asyncpg.Connection, no: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM archive_facts WHERE ticket_no = $1", no)


async def test_the_archive_write_types_the_record_with_it_and_the_purge_takes_both(
    pool: asyncpg.Pool,
) -> None:
    no = "F-" + uuid.uuid4().hex[:8]
    closed = OPENED + 600 * M
    compensation = {"status": "accepted", "offer": {"type": "refund", "amount": "20", "currency": "CNY"}}
    assert await archive.archive(pool, no, _record(no, 7, compensation=compensation), closed)

    f = await _facts(pool, no)
    assert f is not None
    assert (f["closed_at"], f["clocks"], f["met"]) == (
        closed,
        ["ack", "update", "resolve"],
        [True, False, True],
    )
    assert (f["factor"], f["what"], f["common"], f["reason"]) == (
        "method",
        "courier lost parcels",
        True,
        "satisfied",
    )
    assert (f["score"], f["solved"], f["reopens"], f["requests"], f["customer"]) == (4, True, 1, 0, 7)
    assert (f["category"], f["team"], f["priority"], f["assignee"]) == (
        "logistics",
        "logistics",
        "high",
        "ag1",
    )
    assert (f["opened"], f["closed"]) == (OPENED, closed)
    assert (f["ack_s"], f["response_s"], f["resolve_s"], f["close_s"]) == (600.0, 5400.0, 18000.0, 36000.0)
    assert f["comp"] == compensation

    # Written exactly once: a retried archive write neither fails nor adds a second row.
    assert not await archive.archive(pool, no, _record(no, 7), closed)
    assert await pool.fetchval("SELECT count(*) FROM archive_facts WHERE ticket_no = $1", no) == 1

    await pool.execute("DELETE FROM archive WHERE ticket_no = $1", no)
    assert await _facts(pool, no) is None


async def test_a_sparse_record_types_to_nulls_and_no_deadlines(pool: asyncpg.Pool) -> None:
    no = "F-" + uuid.uuid4().hex[:8]
    await pool.execute(
        "INSERT INTO archive (ticket_no, record, closed_at) VALUES ($1, $2, $3)",
        no,
        {"ticket": {"ticket_no": no}, "deadlines": None},
        OPENED,
    )
    f = await _facts(pool, no)
    assert f is not None
    assert (f["clocks"], f["met"], f["reopens"], f["requests"]) == ([], [], 0, 0)
    assert (f["score"], f["customer"], f["opened"], f["ack_s"], f["close_s"]) == (
        None,
        None,
        None,
        None,
        None,
    )


async def test_a_bulk_load_types_every_record_it_copies(pool: asyncpg.Pool) -> None:
    numbers = ["F-" + uuid.uuid4().hex[:8] for _ in range(3)]
    lines = io.StringIO()
    csv.writer(lines).writerows(
        (no, json.dumps(_record(no, i)), (OPENED + i * M).isoformat()) for i, no in enumerate(numbers)
    )
    async with pool.acquire() as conn:
        await conn.copy_to_table(
            "archive",
            source=io.BytesIO(lines.getvalue().encode()),
            format="csv",
            columns=["ticket_no", "record", "closed_at"],
        )
    rows = await pool.fetch(
        "SELECT ticket_no, customer, closed_at FROM archive_facts WHERE ticket_no = ANY($1)"
        " ORDER BY customer",
        numbers,
    )
    assert [(r["ticket_no"], r["customer"], r["closed_at"]) for r in rows] == [
        (no, i, OPENED + i * M) for i, no in enumerate(numbers)
    ]


async def test_records_archived_before_the_migration_are_typed_by_it(pg_server: EmbeddedPostgres) -> None:
    name = "facts_" + uuid.uuid4().hex[:8]
    admin = await asyncpg.connect(pg_server.uri)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    dsn = pg_server.uri.replace("/postgres?", f"/{name}?")
    conn = await asyncpg.connect(dsn)
    try:
        # The schema as it stood before 043, with one ticket already archived in it.
        await conn.execute(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for version, migration, sql in migration_files():
            if version < 43:
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations VALUES ($1, $2)", version, migration)
        await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=str, schema="pg_catalog")
        await conn.execute(
            "INSERT INTO archive (ticket_no, record, closed_at) VALUES ('F-old', $1, $2)",
            _record("F-old", 3),
            OPENED,
        )
        assert "043_archive_facts.sql" in await migrate(dsn)
        f = await _facts(conn, "F-old")
        assert f is not None
        assert (f["customer"], f["clocks"], f["resolve_s"]) == (3, ["ack", "update", "resolve"], 18000.0)
    finally:
        await conn.close()
        admin = await asyncpg.connect(pg_server.uri)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
