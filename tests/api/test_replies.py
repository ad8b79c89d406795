"""The customer writes again (seed 003): the open ticket takes it once; a closed one is followed up."""

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from domain.feedback_link import sign
from infra.settings import Settings
from tests.api.conftest import Keys, headers
from tests.api.helpers import intake_body
from tests.api.test_tickets import _assignee_key, _awaiting_feedback, _open


async def _events(pool: asyncpg.Pool, ticket_no: str, type_: str) -> list[asyncpg.Record]:
    for _ in range(100):
        rows = await pool.fetch(
            "SELECT data FROM ticket_events WHERE ticket_no = $1 AND type = $2 ORDER BY seq", ticket_no, type_
        )
        if rows:
            return rows
        await asyncio.sleep(0.1)
    return []


async def test_a_changed_repeat_intake_appends_exactly_one_message_under_twenty_concurrent_repeats(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    view = await _open(api, keys, env)
    external_id = await pool.fetchval("SELECT external_id FROM tickets WHERE ticket_no = $1", view.ticket_no)
    body = intake_body(
        external_id=external_id,
        category="how_to",
        kind="consultation",
        description="补充:订单号230930001,电话13812345678",
    )
    answers = await asyncio.gather(
        *(api.post("/tickets", json=body, headers=headers(keys.integrator)) for _ in range(20))
    )
    assert {a.status_code for a in answers} == {200}
    assert {a.json()["ticket_no"] for a in answers} == {view.ticket_no}
    assert all(a.json()["message_appended"] for a in answers)
    await _events(pool, view.ticket_no, "customer_message")
    await asyncio.sleep(0.5)  # any second signal would land by now
    messages = await _events(pool, view.ticket_no, "customer_message")
    assert len(messages) == 1
    assert messages[0]["data"]["text"] == "补充:订单号230930001,电话138****5678\nplease fix it"
    told = await pool.fetch(
        "SELECT recipient FROM notifications WHERE ticket_no = $1 AND template = 'customer_replied'",
        view.ticket_no,
    )
    assert [r["recipient"] for r in told] == [view.assignee]


async def test_an_identical_repeat_appends_nothing(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    body = intake_body(category="how_to", kind="consultation")
    opened = await api.post("/tickets", json=body, headers=headers(keys.integrator))
    again = await api.post("/tickets", json=body, headers=headers(keys.integrator))
    assert (opened.status_code, again.status_code) == (201, 200)
    assert again.json()["message_appended"] is False
    rows = await pool.fetchval(
        "SELECT count(*) FROM customer_messages WHERE ticket_no = $1", opened.json()["ticket_no"]
    )
    assert rows == 0


async def test_a_reply_through_the_link_resumes_a_ticket_waiting_for_the_customer(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, settings: Settings, pool: asyncpg.Pool
) -> None:
    view = await _open(api, keys, env)
    key = headers(_assignee_key(keys, view))
    assert (await api.post(f"/tickets/{view.ticket_no}/acknowledge", json={}, headers=key)).status_code == 200
    wait = await api.post(f"/tickets/{view.ticket_no}/wait", json={"reason": "需要订单截图"}, headers=key)
    assert wait.json()["status"] == "waiting_customer"
    token = sign(
        view.ticket_no, 1, datetime.now(UTC) + timedelta(days=1), settings.secret_key.get_secret_value()
    )
    r = await api.post(f"/feedback/{token}/reply", json={"message": "截图已上传"})
    assert r.status_code == 200 and r.json() == {
        "ticket_no": view.ticket_no,
        "appended": True,
        "follow_up": None,
    }
    resumed = await _events(pool, view.ticket_no, "resumed")
    assert resumed and resumed[0]["data"]["paused_seconds"] >= 0
    status = await pool.fetchval("SELECT status FROM tickets WHERE ticket_no = $1", view.ticket_no)
    assert status == "in_progress"


async def test_a_message_after_close_opens_a_follow_up_linked_to_the_closed_ticket(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    view = await _awaiting_feedback(api, keys, env)
    answer = {"solved": True, "score": 5}
    url = f"/tickets/{view.ticket_no}/feedback"
    assert (await api.post(url, json=answer, headers=headers(keys.integrator))).status_code == 200
    for _ in range(100):
        if await pool.fetchval("SELECT status FROM tickets WHERE ticket_no = $1", view.ticket_no) == "closed":
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"{view.ticket_no} never closed after a satisfied answer")
    external_id = await pool.fetchval("SELECT external_id FROM tickets WHERE ticket_no = $1", view.ticket_no)
    body = intake_body(
        external_id=external_id, category="how_to", kind="consultation", description="又出现了"
    )
    follow = await api.post("/tickets", json=body, headers=headers(keys.integrator))
    assert follow.status_code == 201, follow.text
    assert follow.json()["follow_up_of"] == view.ticket_no and follow.json()["ticket_no"] != view.ticket_no
    again = await api.post("/tickets", json=body, headers=headers(keys.integrator))
    assert again.json()["ticket_no"] == follow.json()["ticket_no"]  # the same words, the same follow-up
