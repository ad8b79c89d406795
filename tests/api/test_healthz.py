"""Probes: `/livez` answers while the process does; `/readyz` (and `/healthz`) name what is down."""

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from cli.embedded import EmbeddedPostgres, start_postgres, temporal_test_server
from domain.policy import SHIPPED_POLICY, load_policy, policy_hash
from infra.settings import Settings
from store.db import create_pool


@pytest.fixture
async def own_postgres() -> AsyncIterator[EmbeddedPostgres]:
    """A PostgreSQL of this test's own, so stopping it harms no other test."""
    server = start_postgres(Path(tempfile.mkdtemp(prefix="tfhz")) / "data")
    yield server
    server.stop()


async def test_healthz_names_postgres_when_it_stops_under_a_running_api(
    time_env: WorkflowEnvironment, own_postgres: EmbeddedPostgres
) -> None:
    uri = own_postgres.uri
    pool = await create_pool(uri, max_size=2)
    settings = Settings(database_url=uri, temporal_address="in-process")
    app = create_app(settings, client=time_env.client, pool=pool)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            ok = await http.get("/healthz")
            assert ok.status_code == 200
            assert {k: ok.json()[k] for k in ("status", "temporal", "postgres")} == {
                "status": "ok",
                "temporal": "ok",
                "postgres": "ok",
            }
            # Issue 19: every process names the policy it loaded; none given, the one shipped in the package.
            assert ok.json()["policy"] == policy_hash(load_policy(SHIPPED_POLICY))

            own_postgres.stop()
            down = await http.get("/healthz")
            assert down.status_code == 503
            body = down.json()
            assert body["status"] == "down: postgres"
            assert body["temporal"] == "ok"
            assert body["postgres"].startswith("down")
    await pool.close()


async def test_healthz_names_temporal_when_it_is_unreachable(pool: asyncpg.Pool) -> None:
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=temporal_test_server())
    client = env.client
    await env.shutdown()  # the client now points at a server that is gone
    app = create_app(Settings(temporal_address="gone"), client=client, pool=pool)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            down = await http.get("/healthz")
    assert down.status_code == 503
    assert down.json()["status"] == "down: temporal"
    assert down.json()["postgres"] == "ok"


async def test_livez_answers_while_readiness_names_the_server_that_is_down(pool: asyncpg.Pool) -> None:
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=temporal_test_server())
    client = env.client
    await env.shutdown()
    app = create_app(Settings(temporal_address="gone"), client=client, pool=pool)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            live = await http.get("/livez")
            ready = await http.get("/readyz")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert ready.status_code == 503 and ready.json()["status"] == "down: temporal"


async def test_readiness_says_when_no_worker_polls_the_ticket_queue(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings
) -> None:
    from worker.worker import workers

    app = create_app(settings, client=dev_env.client, pool=pool)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            idle = (await http.get("/readyz")).json()
            async with workers(dev_env.client, pool, settings, task_queue=settings.task_queue):
                for _ in range(50):  # the server learns of a poller when it polls
                    polled = (await http.get("/readyz")).json()
                    if not polled["workers"].startswith("none"):
                        break
    assert (
        idle["status"] == "ok" and idle["workers"] == f"none polling {settings.task_queue}: new tickets wait"
    )
    assert polled["workers"] == f"1 polling {settings.task_queue}"
