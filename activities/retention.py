"""The purge activity: batch after batch until nothing past retention is left, heartbeating."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import asyncpg
import structlog
from temporalio import activity
from temporalio.common import RetryPolicy

from domain.retention import PurgeRequest, PurgeResult
from infra.settings import Settings
from store import retention as store
from store.contents import contents_for

log = structlog.get_logger(__name__)

PURGE_TIMEOUT = timedelta(hours=2)
PURGE_HEARTBEAT = timedelta(minutes=1)
PURGE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=10,
)


class RetentionActivities:
    """Built once per worker; every method is an activity taking one model."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self._pool = pool
        self._settings = settings
        self._contents = contents_for(settings)

    def all(self) -> list[Callable[..., Any]]:
        return [self.purge_archive]

    @activity.defn(name="purge_archive")
    async def purge_archive(self, req: PurgeRequest) -> PurgeResult:
        """Delete archived tickets closed before `req.before` and anonymize their customers; the totals."""
        result = PurgeResult(before=req.before)
        while True:
            tickets, customers = await store.purge_batch(self._pool, req.before, req.batch_size)
            # The batch's committed: the files' contents no ticket carries now leave their store too.
            await self._contents.drain(self._pool)
            result.tickets += tickets
            result.customers += customers
            activity.heartbeat(result.tickets)
            if tickets < req.batch_size:
                break
        log.info("purge", before=req.before.isoformat(), tickets=result.tickets, customers=result.customers)
        return result
