"""A database or a ticket engine that is down, restarting or overloaded answers 503 with a clear message,
never 500."""

import asyncio

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from structlog.testing import capture_logs
from temporalio.service import RPCError, RPCStatusCode

from api import errors

DOWN = [
    asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
    asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    FileNotFoundError(2, "No such file or directory"),  # the Unix socket is gone
    ConnectionRefusedError(111, "Connection refused"),
    # Seen in the full-size Postgres outage: a pooled connection broken mid-protocol by the restart.
    asyncpg.InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
    # A pooled connection the server closed after the pool handed it out, before its query.
    asyncpg.InterfaceError("cannot perform operation: connection is closed"),
]


@pytest.mark.parametrize("failure", DOWN, ids=[type(f).__name__ for f in DOWN])
async def test_database_outage_answers_503_in_the_one_error_shape(failure: Exception) -> None:
    app = FastAPI()
    errors.install(app)

    @app.get("/boom")
    async def boom() -> None:
        raise failure

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        r = await http.get("/boom")
    assert r.status_code == 503
    assert r.json() == {
        "error": {
            "code": "unavailable",
            "message": "the database is unavailable; retry shortly",
            "field": None,
        }
    }


async def test_a_pooled_connection_closed_by_the_server_before_its_query_answers_503(
    pool: asyncpg.Pool,
) -> None:
    # What a restarting PostgreSQL does to an idle pooled connection, for real: the server ends the
    # session while the route holds it, and asyncpg refuses the next query on it.
    app = FastAPI()
    errors.install(app)

    @app.get("/ticket")
    async def read() -> None:
        async with pool.acquire() as conn:
            pid = conn.get_server_pid()
            await pool.execute("SELECT pg_terminate_backend($1)", pid)
            for _ in range(200):
                if conn.is_closed():
                    break
                await asyncio.sleep(0.01)
            await conn.fetchval("SELECT 1")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        r = await http.get("/ticket")
    assert r.status_code == 503, r.text
    assert r.json()["error"]["message"] == "the database is unavailable; retry shortly"
    assert await pool.fetchval("SELECT 1") == 1  # and the pool carries on with a new connection


async def test_an_unexpected_error_answers_500_in_the_one_error_shape_and_is_logged() -> None:
    app = FastAPI()
    errors.install(app)

    @app.get("/bug")
    async def bug() -> None:
        raise KeyError("a bug of ours")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    with capture_logs() as logged:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            r = await http.get("/bug")
    assert [e["exc_info"] for e in logged if e["event"] == "unhandled error"][0].args == ("a bug of ours",)
    assert r.status_code == 500
    assert r.json() == {
        "error": {"code": "internal", "message": "an unexpected error; it has been logged", "field": None}
    }


ENGINE_DOWN = [
    RPCError("Workflow is busy", RPCStatusCode.RESOURCE_EXHAUSTED, b""),
    RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b""),
    RPCError("deadline exceeded", RPCStatusCode.DEADLINE_EXCEEDED, b""),
]


@pytest.mark.parametrize("failure", ENGINE_DOWN, ids=[f.status.name for f in ENGINE_DOWN])
async def test_a_temporal_call_failing_anywhere_answers_503_not_500(failure: RPCError) -> None:
    app = FastAPI()
    errors.install(app)

    @app.get("/boom")
    async def boom() -> None:
        raise failure  # e.g. the hotspot signal-with-start at intake, on an overloaded server

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        r = await http.get("/boom")
    assert r.status_code == 503
    assert r.json()["error"] == {
        "code": "unavailable",
        "message": "the ticket engine is not answering; retry shortly",
        "field": None,
    }
