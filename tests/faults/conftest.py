"""One real stack for the fault tests (session-wide, started on first use), and an HTTP driver per test."""

import json
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.faults.driver import Http
from tests.faults.stack import FaultStack, new_root, remove_root


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The flood runs last: at full size it leaves 17,000 open tickets the worker carries, and the timed
    scenarios (kills before a deadline, with slack) must not run on a worker that busy."""
    items.sort(key=lambda item: item.path.name == "test_flood.py")


@pytest.fixture(scope="session")
async def stack() -> AsyncIterator[FaultStack]:
    root = new_root()
    s = FaultStack(root=root)
    try:
        await s.start()
        yield s
    finally:
        await s.stop()
        if not os.environ.get("TICKETFLOW_FAULTS_KEEP"):
            remove_root(root)


@pytest.fixture(autouse=True)
async def restored(stack: FaultStack) -> AsyncIterator[None]:
    """After each test, every server and process of the stack runs again, whatever the test left."""
    yield
    await stack.restore()


@pytest.fixture
async def http(stack: FaultStack) -> AsyncIterator[Http]:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        yield Http(stack=stack, client=client)


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Callable[..., None]:
    """Record the figures a test ends with (printed; appended as JSON lines to TICKETFLOW_FAULTS_REPORT)."""

    def record(**values: Any) -> None:
        line = json.dumps({"test": request.node.name, **values}, default=str)
        print(line)
        if path := os.environ.get("TICKETFLOW_FAULTS_REPORT"):
            with Path(path).open("a") as out:
                out.write(line + "\n")

    return record
