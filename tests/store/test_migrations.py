"""Migrations: numbered files applied once, under an advisory lock, safe from concurrent runners."""

import asyncio
import uuid

import asyncpg

from cli.embedded import EmbeddedPostgres
from store.db import migrate, migration_files


async def _fresh(pg_server: EmbeddedPostgres) -> str:
    name = "mig_" + uuid.uuid4().hex[:8]
    conn = await asyncpg.connect(pg_server.uri)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return pg_server.uri.replace("/postgres?", f"/{name}?")


async def test_migrations_apply_once_and_second_run_is_a_no_op(pg_server: EmbeddedPostgres) -> None:
    dsn = await _fresh(pg_server)
    first = await migrate(dsn)
    assert first == [name for _, name, _ in migration_files()]
    assert await migrate(dsn) == []
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == len(first)
        assert await conn.fetchval("SELECT to_regclass('tickets') IS NOT NULL")
    finally:
        await conn.close()


async def test_concurrent_runners_apply_each_migration_exactly_once(pg_server: EmbeddedPostgres) -> None:
    dsn = await _fresh(pg_server)
    results = await asyncio.gather(*(migrate(dsn) for _ in range(4)))
    applied = [name for r in results for name in r]
    assert sorted(applied) == sorted(name for _, name, _ in migration_files())
    assert sum(1 for r in results if r) == 1
