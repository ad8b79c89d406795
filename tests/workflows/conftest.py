"""Workflow test fixtures: the time-skipping server with our search attributes, and a running worker."""

from collections.abc import AsyncIterator

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from infra.settings import Settings
from worker.worker import workers

from .helpers import Crew, make_crew


@pytest.fixture
def ts_env(time_env: WorkflowEnvironment) -> WorkflowEnvironment:
    """The per-test time-skipping server (tests/conftest.py), under the name these tests use."""
    return time_env


@pytest.fixture
async def worker(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings, task_queue: str
) -> AsyncIterator[Worker]:
    async with workers(ts_env.client, pool, settings, task_queue=task_queue) as w:
        yield w


@pytest.fixture
async def crew(pool: asyncpg.Pool) -> Crew:
    return await make_crew(pool)
