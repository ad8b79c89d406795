"""Request bodies for API tests."""

import asyncio
import base64
import json
import uuid
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.ticket import TicketView

NAME, PHONE, EMAIL = "李四光", "13812345678", "lisiguang@example.com"


def intake_body(external_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "phone",
        "external_id": external_id or f"call-{uuid.uuid4().hex[:10]}",
        "customer": {"name": NAME, "phone": PHONE, "email": EMAIL, "tier": "standard"},
        "kind": "fault_report",
        "category": "system_fault",
        "description": "付款页面一直转圈 the payment page spins forever",
        "request": "please fix it",
    }
    body.update(overrides)
    return body


async def live_view(client: Client, ticket_no: str, wait_s: float = 20.0) -> TicketView:
    """The workflow's own view. A test's worker is new on its task queue: until the server has seen its
    first poll, a query answers FAILED_PRECONDITION ("no poller seen"), so ask again until `wait_s`."""
    handle = client.get_workflow_handle(ticket_no)
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        try:
            view: TicketView = await handle.query("view", result_type=TicketView)
            return view
        except RPCError as e:
            if e.status != RPCStatusCode.FAILED_PRECONDITION or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def assigned(client: Client, ticket_no: str, wait_s: float = 20.0) -> TicketView:
    """The ticket once the workflow's assignment activity has given it an assignee."""
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        view = await live_view(client, ticket_no, wait_s)
        if view.assignee is not None or asyncio.get_running_loop().time() > deadline:
            return view
        await asyncio.sleep(0.2)


def history_text(history_json: str) -> str:
    """A workflow history as searchable text: its JSON plus every payload decoded (payloads are base64)."""
    decoded: list[str] = [history_json]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("data"), str) and "metadata" in node:
                decoded.append(base64.b64decode(node["data"]).decode("utf-8", errors="replace"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(history_json))
    return "\n".join(decoded)
