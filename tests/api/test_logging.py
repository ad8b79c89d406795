"""Every log line about a ticket names it: the API's, the activities' and the workflow's (replay-safe)."""

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from infra import logs
from tests.api.conftest import Keys, headers
from tests.api.helpers import assigned, intake_body


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logs.handler("json", stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


async def test_api_activity_and_workflow_lines_carry_the_ticket_number(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, captured: io.StringIO
) -> None:
    opened = await api.post("/tickets", json=intake_body(), headers=headers(keys.integrator))
    ticket_no = opened.json()["ticket_no"]
    await assigned(env.client, ticket_no)
    assert (await api.get(f"/tickets/{ticket_no}", headers=headers(keys.admin))).status_code == 200
    # A malformed fire-and-forget signal makes the workflow itself log a warning.
    await env.client.get_workflow_handle(ticket_no).signal("customer_feedback", {"score": 9})
    for _ in range(100):
        mine = [line for line in _lines(captured) if line.get("ticket_no") == ticket_no]
        if any(line["event"] == "signal rejected" for line in mine):
            break
        await asyncio.sleep(0.1)
    events = {(line["logger"], line["event"]) for line in mine}
    assert ("api.intake", "ticket opened") in events
    assert ("api", "request") in events  # GET /tickets/{no}
    assert ("activities.channels.log", "notification") in events  # the notify activity: "assigned"
    assert any(logger.startswith("temporalio.workflow") and e == "signal rejected" for logger, e in events)
