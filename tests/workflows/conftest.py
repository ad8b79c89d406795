"""Workflow test fixtures: the time-skipping server with our search attributes, and a running worker."""

from collections.abc import AsyncIterator

import asyncpg
import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ticketflow import search_attributes
from ticketflow.settings import Settings
from ticketflow.worker.worker import build_worker

from .helpers import Crew, make_crew


@pytest.fixture(scope="session")
async def ts_env(time_env: WorkflowEnvironment) -> WorkflowEnvironment:
    """The time-skipping server knows no custom search attribute until told."""
    await time_env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=time_env.client.namespace,
            search_attributes={
                k.name: IndexedValueType.ValueType(k.indexed_value_type) for k in search_attributes.ALL
            },
        )
    )
    return time_env


@pytest.fixture
async def worker(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings, task_queue: str
) -> AsyncIterator[Worker]:
    w = build_worker(ts_env.client, pool, settings, task_queue=task_queue)
    async with w:
        yield w


@pytest.fixture
async def crew(pool: asyncpg.Pool) -> Crew:
    return await make_crew(pool)
