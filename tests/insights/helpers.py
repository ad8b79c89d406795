"""Shared by the insight tests: a worker for the hotspot, purge and report workflows, and polling."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker

from activities.notify import NotifyActivities
from infra.settings import Settings
from worker.worker import build_counter_worker, sandbox_runner

T = TypeVar("T")


@contextlib.asynccontextmanager
async def insight_worker(client: Client, pool: asyncpg.Pool, settings: Settings) -> AsyncIterator[Worker]:
    """Only this issue's workflows and activities, so these tests do not depend on the ticket workflow;
    with the counters' own worker on their queue, as deployed."""
    from worker import registry

    async with (
        Worker(
            client,
            task_queue=settings.task_queue,
            workflows=list(registry.insight_workflows()),
            activities=[
                *registry.insight_activities(pool, settings),
                NotifyActivities(pool, settings).notify,
            ],
            workflow_runner=sandbox_runner(),
        ) as worker,
        build_counter_worker(client, pool, settings),
    ):
        yield worker


async def eventually(probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], within: float = 20.0) -> T:
    """Poll `probe` until `done` holds of its answer; else the last answer (the test's assert says why)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while True:
        value = await probe()
        if done(value) or loop.time() > end:
            return value
        await asyncio.sleep(0.1)
