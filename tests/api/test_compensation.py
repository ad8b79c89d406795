"""Compensation through the API (seeds 000–002): offered with the resolution, decided by a supervisor above
its threshold, accepted by the customer through their signed link."""

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from domain.feedback_link import sign
from infra.settings import Settings
from tests.api.conftest import Keys, headers
from tests.api.test_tickets import RESOLVE, _assignee_key, _open

REFUND = {"type": "refund", "amount": "300.00", "currency": "CNY", "reason": "退还维修费"}


async def test_refund_decided_by_the_supervisor_then_accepted_through_the_link(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, settings: Settings, pool: asyncpg.Pool
) -> None:
    view = await _open(api, keys, env)
    holder = headers(_assignee_key(keys, view))
    url = f"/tickets/{view.ticket_no}"
    assert (await api.post(f"{url}/acknowledge", json={}, headers=holder)).status_code == 200
    r = await api.post(f"{url}/resolve", json={**RESOLVE, "compensation": REFUND}, headers=holder)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "in_review"
    assert r.json()["compensation"]["status"] == "pending_approval"

    decision = f"{url}/compensation/decision"
    assert (await api.post(decision, json={"approve": True}, headers=holder)).status_code == 403
    r = await api.post(decision, json={"approve": True}, headers=headers(keys.supervisor))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "awaiting_feedback" and r.json()["compensation"]["status"] == "approved"
    again = await api.post(decision, json={"approve": True}, headers=headers(keys.supervisor))
    assert again.status_code == 409

    token = sign(
        view.ticket_no, 1, datetime.now(UTC) + timedelta(days=1), settings.secret_key.get_secret_value()
    )
    answer = {"solved": True, "score": 5, "accepts_compensation": True}
    r = await api.post(f"/feedback/{token}", json=answer)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    accepted = await pool.fetchval(
        "SELECT count(*) FROM ticket_events WHERE ticket_no = $1 AND type = 'compensation_accepted'",
        view.ticket_no,
    )
    assert accepted == 1

    # The month's report counts it under its category, once the ticket is closed and archived.
    month = datetime.now(UTC).strftime("%Y-%m")
    for _ in range(100):
        r = await api.get("/reports/compensation", params={"month": month}, headers=headers(keys.supervisor))
        assert r.status_code == 200, r.text
        if r.json()["totals"]:
            break
        await asyncio.sleep(0.1)
    assert r.json()["totals"] == [
        {
            "category": "how_to",
            "type": "refund",
            "currency": "CNY",
            "offered": 1,
            "offered_amount": "300.00",
            "accepted": 1,
            "accepted_amount": "300.00",
        }
    ]
    bad = await api.get(
        "/reports/compensation", params={"month": "2026-13"}, headers=headers(keys.supervisor)
    )
    assert bad.status_code == 422


async def test_a_bad_compensation_answers_422_naming_the_field(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment
) -> None:
    view = await _open(api, keys, env)
    holder = headers(_assignee_key(keys, view))
    url = f"/tickets/{view.ticket_no}"
    for bad, field in (
        ({**REFUND, "type": "cash"}, "compensation.type"),
        ({**REFUND, "amount": "-1"}, "compensation.amount"),
        ({**REFUND, "currency": "yuan"}, "compensation.currency"),
    ):
        r = await api.post(f"{url}/resolve", json={**RESOLVE, "compensation": bad}, headers=holder)
        assert r.status_code == 422 and r.json()["error"]["field"] == field, r.text
