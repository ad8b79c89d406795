"""The corrective-action workflow's activities: keep its row current, count tickets for the effect check."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import asyncpg
from pydantic import BaseModel
from temporalio import activity
from temporalio.common import RetryPolicy

from domain.corrective import CorrectiveView, EffectCounts, EffectQuery
from infra.settings import Settings
from store import corrective as store

# Database work: retried until Postgres answers again; the write is idempotent (an older step never wins).
CORRECTIVE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=1)
)
CORRECTIVE_TIMEOUT = timedelta(seconds=30)


class CorrectiveWrite(BaseModel):
    view: CorrectiveView
    step: int


class CorrectiveActivities:
    """Built once per worker; every method is an activity taking one model."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self._pool = pool
        self._settings = settings

    def all(self) -> list[Callable[..., Any]]:
        return [self.record_corrective, self.count_effect]

    @activity.defn(name="record_corrective")
    async def record_corrective(self, w: CorrectiveWrite) -> None:
        await store.record(self._pool, w.view, w.step)

    @activity.defn(name="count_effect")
    async def count_effect(self, q: EffectQuery) -> EffectCounts:
        """Tickets of the category (and product) opened in the period before and in the period after."""
        category = q.category.value
        before = await store.opened_between(self._pool, category, q.product, q.before.start, q.before.end)
        after = await store.opened_between(self._pool, category, q.product, q.after.start, q.after.end)
        return EffectCounts(before=before, after=after)
