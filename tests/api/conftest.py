"""API fixtures: the app in process (httpx ASGI transport, lifespan entered by hand), a worker on a real
Temporal, the embedded PostgreSQL, a demo directory, and one API key for each role.
"""

import itertools
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.app import create_app
from domain.enums import ApiRole, Channel
from domain.policy import Policy
from infra.settings import Settings
from store.api_keys import NewApiKey, create_api_key
from store.directory import seed_demo
from worker.worker import workers


class Keys(BaseModel):
    """One key a role; agent is frontline-1, supervisor frontline-sup, phone integrator bound to `phone`."""

    admin: str
    integrator: str
    phone_integrator: str
    agent: str
    other_agent: str
    supervisor: str
    other_supervisor: str


def headers(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


# Module n of a session numbers its tickets from n × NUMBER_BLOCK (the sequence's six digits hold 49 blocks).
NUMBER_BLOCK = 20_000
_NUMBER_BLOCKS = itertools.count(1)


@pytest.fixture(scope="module")
async def keys(pool: asyncpg.Pool) -> Keys:
    await seed_demo(pool)
    # Each test module has its own database but shares one Temporal: its ticket numbers (= workflow ids)
    # come from a block of their own, this month's and next month's, so no two modules ever draw one.
    first = next(_NUMBER_BLOCKS) * NUMBER_BLOCK
    assert first + NUMBER_BLOCK <= 999_999, "more API test modules than ticket-number blocks"
    await pool.execute(
        "INSERT INTO ticket_counters (month, last) SELECT to_char(now() AT TIME ZONE 'UTC' + m, 'YYYYMM'), $1"
        " FROM (VALUES (interval '0'), (interval '1 month')) AS months (m) ON CONFLICT (month) DO NOTHING",
        first,
    )

    async def issue(role: ApiRole, member: str | None = None, channel: Channel | None = None) -> str:
        return (await create_api_key(pool, NewApiKey(role=role, member_id=member, channel=channel))).key

    return Keys(
        admin=await issue(ApiRole.ADMIN),
        integrator=await issue(ApiRole.INTEGRATOR),
        phone_integrator=await issue(ApiRole.INTEGRATOR, channel=Channel.PHONE),
        agent=await issue(ApiRole.AGENT, "frontline-1"),
        other_agent=await issue(ApiRole.AGENT, "frontline-2"),
        supervisor=await issue(ApiRole.SUPERVISOR, "frontline-sup"),
        other_supervisor=await issue(ApiRole.SUPERVISOR, "tech-sup"),
    )


@pytest.fixture
async def env(dev_env: WorkflowEnvironment) -> WorkflowEnvironment:
    return dev_env


@pytest.fixture
async def worker(
    env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings, task_queue: str
) -> AsyncIterator[Worker]:
    async with workers(env.client, pool, settings, task_queue=task_queue) as w:
        yield w


@pytest.fixture
async def app(
    env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings, policy: Policy, worker: Worker
) -> AsyncIterator[FastAPI]:
    application = create_app(settings, client=env.client, pool=pool, policy=policy)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ticketflow.test") as client:
        yield client
