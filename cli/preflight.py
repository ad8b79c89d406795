"""What a worker or API process checks before it serves, so a wrong setting is one line, not a crash later."""

import asyncpg

from domain.policy import Policy, load_policy
from infra.settings import Settings
from infra.temporal_client import TemporalUnavailable, connect
from store.db import migration_files


class NotMigrated(RuntimeError):
    """The database lacks migrations this code needs."""


async def pending_migrations(dsn: str) -> list[str]:
    """The shipped migrations the database has not applied (all of them on an empty database)."""
    conn = await asyncpg.connect(dsn)
    try:
        if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
            return [name for _, name, _ in migration_files()]
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
    finally:
        await conn.close()
    return [name for version, name, _ in migration_files() if version not in done]


async def preflight(settings: Settings) -> Policy:
    """The policy loads, Temporal answers in the namespace, the database is migrated; the policy."""
    policy = load_policy(settings.policy_file)
    client = await connect(settings)
    if not await client.service_client.check_health():
        raise TemporalUnavailable(f"Temporal at {settings.temporal_address} is not serving")
    pending = await pending_migrations(settings.database_url)
    if pending:
        raise NotMigrated(
            f"the database lacks {len(pending)} migrations ({pending[0]}…): run `ticketflow migrate`"
            " (TICKETFLOW_DATABASE_URL)"
        )
    return policy
