"""A database that is down or restarting answers 503 with a clear message, never 500."""

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from ticketflow.api import errors

DOWN = [
    asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
    asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    FileNotFoundError(2, "No such file or directory"),  # the Unix socket is gone
    ConnectionRefusedError(111, "Connection refused"),
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
