"""Shared fixtures: one time-skipping Temporal, one dev-server Temporal and one embedded PostgreSQL for the
session; a clean database per test module; a unique task queue per test. No mocks of Temporal or Postgres."""

import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from cli.embedded import EmbeddedPostgres, start_postgres, temporal_cli, temporal_test_server
from domain.enums import Channel
from domain.policy import Policy
from infra import logs, search_attributes
from infra.settings import Settings
from store.db import create_pool, migrate
from tests.activities.channels.servers import WebhookReceiver, webhook_receiver
from tests.policies import policy_file, policy_under_test

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-secret"

logs.configure("WARNING", "json")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The fault suite and the benchmark scripts carry their directory's marker; `make check` skips them."""
    for item in items:
        top = item.path.relative_to(ROOT / "tests").parts[0]
        if top in ("faults", "bench"):
            item.add_marker(getattr(pytest.mark, top))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[EmbeddedPostgres]:
    # A short path: PostgreSQL's Unix socket lives in the data directory and socket paths are limited.
    base = Path(tempfile.mkdtemp(prefix="tfpg"))
    server = start_postgres(base / "data")
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


def _dsn(server: EmbeddedPostgres, database: str) -> str:
    return server.uri.replace("/postgres?", f"/{database}?")


@pytest.fixture(scope="module")
async def database(pg_server: EmbeddedPostgres, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A fresh, migrated database for one test module; its DSN."""
    name = "t_" + request.module.__name__.rsplit(".", 1)[-1][:40] + "_" + uuid.uuid4().hex[:6]
    admin = await asyncpg.connect(pg_server.uri)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = _dsn(pg_server, name)
    await migrate(dsn)
    yield dsn
    admin = await asyncpg.connect(pg_server.uri)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="module")
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(database, max_size=20)
    yield p
    await p.close()


@pytest.fixture
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's time-skipping test server, for every timer rule: a fresh one per test.

    Its clock is global to the server, so one shared by many tests lets a leftover timer or an abandoned
    activity of one test stall or leap the clock of the next; the native server starts in ~0.1 s.
    """
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=temporal_test_server(), data_converter=pydantic_data_converter
    )
    # The test server knows no custom search attribute until told; the ticket workflow upserts ours.
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={
                k.name: IndexedValueType.ValueType(k.indexed_value_type) for k in search_attributes.ALL
            },
        )
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real dev server (real time, visibility, search attributes, continue-as-new suggestions)."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(),
        data_converter=pydantic_data_converter,
        search_attributes=search_attributes.ALL,
        dev_server_extra_args=["--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=50"],
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def customer_inbox() -> AsyncIterator[WebhookReceiver]:
    """The integrators' webhook every customer notice reaches in tests (each channel's, one receiver)."""
    async with webhook_receiver(SECRET) as receiver:
        yield receiver


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The shipped policy, or the mutated copy tests/mutate_policy.py names: what rule tests run under."""
    return policy_under_test()


@pytest.fixture
def settings(database: str, task_queue: str, customer_inbox: WebhookReceiver) -> Settings:
    return Settings(
        database_url=database,
        temporal_address="unused-in-process",
        task_queue=task_queue,
        policy_file=policy_file(),
        secret_key=SECRET,
        channel_webhooks={channel: customer_inbox.url for channel in Channel},
        # Every in-process test runs the workflows sandboxed, so code that is not deterministic or imports
        # what it should not fails here; production runs them without the sandbox (settings.py).
        workflow_sandbox=True,
    )
