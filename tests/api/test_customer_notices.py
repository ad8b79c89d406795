"""What the customer and the desk can see of the ticket's messages, and calls recorded by handlers."""

import asyncio

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from store import audit
from tests.api.conftest import Keys, headers
from tests.api.helpers import intake_body
from tests.api.test_tickets import _assignee_key, _awaiting_feedback, _open


async def _wait_for(pool: asyncpg.Pool, ticket_no: str, template: str) -> None:
    for _ in range(100):
        found = await pool.fetchval(
            "SELECT count(*) FROM notifications WHERE ticket_no = $1 AND template = $2"
            " AND delivered_at IS NOT NULL",
            ticket_no,
            template,
        )
        if found:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {template} notice delivered for {ticket_no}")


async def test_the_tickets_messages_list_each_with_its_audience_channel_attempts_and_status(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    view = await _open(api, keys, env)
    await _wait_for(pool, view.ticket_no, "assigned")
    await _wait_for(pool, view.ticket_no, "received")
    url = f"/tickets/{view.ticket_no}/notifications"
    listed = await api.get(url, headers=headers(_assignee_key(keys, view)))
    assert listed.status_code == 200, listed.text
    by_template = {n["template"]: n for n in listed.json()["items"]}
    received = by_template["received"]
    assert received["audience"] == "customer" and received["recipient"].startswith("customer-")
    assert (received["channels"], received["status"], received["attempts"]) == (["webhook"], "delivered", 1)
    assert by_template["assigned"]["recipient"] == view.assignee
    assert (await api.get(url, headers=headers(keys.integrator))).status_code == 200
    assert (await api.get(url, headers=headers(keys.other_supervisor))).status_code == 404


async def test_a_complaint_tells_the_lead_supervisor_at_intake(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    body = intake_body(kind="complaint", category="service_attitude")
    opened = await api.post("/tickets", json=body, headers=headers(keys.integrator))
    assert opened.status_code == 201, opened.text
    ticket_no = opened.json()["ticket_no"]
    await _wait_for(pool, ticket_no, "complaint_intake")
    told = await pool.fetch(
        "SELECT recipient FROM notifications WHERE ticket_no = $1 AND template = 'complaint_intake'",
        ticket_no,
    )
    assert [r["recipient"] for r in told] == ["frontline-sup"]


async def test_a_handler_records_a_call_and_the_read_is_audited(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    view = await _awaiting_feedback(api, keys, env)
    url = f"/tickets/{view.ticket_no}/calls"
    key = headers(_assignee_key(keys, view))
    half = await api.post(url, json={"reached": True, "solved": True}, headers=key)
    assert half.status_code == 409 and "both solved and score" in half.json()["error"]["message"]
    loose = await api.post(url, json={"reached": "yes"}, headers=key)
    assert loose.status_code == 422 and loose.json()["error"]["field"] == "reached"
    answered = await api.post(url, json={"reached": True, "solved": True, "score": 4}, headers=key)
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "closed" and answered.json()["close_reason"] == "satisfied"
    entries = [(e.actor, e.what) for e in await audit.entries_for(pool, view.ticket_no)]
    assert (view.assignee, "call") in entries


async def test_the_timeline_shows_each_notice_with_its_delivery_at_the_event_that_sent_it(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    view = await _open(api, keys, env)
    await _wait_for(pool, view.ticket_no, "received")
    await _wait_for(pool, view.ticket_no, "assigned")
    page = await api.get(f"/tickets/{view.ticket_no}/events", headers=headers(_assignee_key(keys, view)))
    assert page.status_code == 200, page.text
    by_type = {e["type"]: e for e in page.json()["items"]}
    # Other notices may join `opened` (a repeat contact tells the supervisor): the customer's is one.
    [received] = [n for n in by_type["opened"]["notices"] if n["audience"] == "customer"]
    assert (received["template"], received["audience"], received["status"]) == (
        "received",
        "customer",
        "delivered",
    )
    assert received["key"].startswith(f"{view.ticket_no}:{by_type['opened']['seq']}:customer:")
    [assigned] = by_type["assigned"]["notices"]
    assert (assigned["template"], assigned["recipient"], assigned["status"]) == (
        "assigned",
        view.assignee,
        "delivered",
    )
