"""Collaboration through the API (seeds 002, 004): the holder asks the technical team, its supervisor
answers, the answer is on the ticket's timeline, and the report counts it on time for that team."""

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from tests.api.conftest import Keys, headers
from tests.api.test_tickets import _assignee_key, _open


async def test_ask_tech_answer_on_the_timeline_and_the_on_time_rate(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    view = await _open(api, keys, env)
    holder = headers(_assignee_key(keys, view))
    url = f"/tickets/{view.ticket_no}"
    assert (await api.post(f"{url}/acknowledge", json={}, headers=holder)).status_code == 200
    r = await api.post(f"{url}/collaborations", json={"team": "nope", "question": "?"}, headers=holder)
    assert r.status_code == 404 and r.json()["error"]["field"] == "team"
    r = await api.post(
        f"{url}/collaborations", json={"team": "tech", "question": "请技术部确认支付网关日志"}, headers=holder
    )
    assert r.status_code == 200, r.text
    assert r.json()["collaborators"] == ["tech"]
    [request] = r.json()["collaborations"]
    assert request["team"] == "tech" and request["status"] == "open"

    # Another team's member may not answer for tech; tech's supervisor does.
    other = await api.post(
        f"{url}/collaborations/1/answer", json={"text": "x"}, headers=headers(keys.supervisor)
    )
    assert other.status_code == 409
    r = await api.post(
        f"{url}/collaborations/1/answer",
        json={"text": "网关日志正常,问题在缓存"},
        headers=headers(keys.other_supervisor),
    )
    assert r.status_code == 200, r.text
    assert r.json()["on_time"] is True and r.json()["answered_by"] == "tech-sup"

    for _ in range(100):
        answered = await pool.fetchrow(
            "SELECT actor, data FROM ticket_events WHERE ticket_no = $1 AND type = 'collaboration_answered'",
            view.ticket_no,
        )
        if answered is not None:
            break
        await asyncio.sleep(0.1)
    assert answered is not None and answered["data"]["answer"] == "网关日志正常,问题在缓存"
    again = await api.post(
        f"{url}/collaborations/1/answer", json={"text": "x"}, headers=headers(keys.other_supervisor)
    )
    assert again.status_code in (404, 409)

    until = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    params = {"since": since.isoformat(), "until": until}
    r = await api.get("/reports/collaboration", params=params, headers=headers(keys.supervisor))
    assert r.status_code == 200, r.text
    [tech] = r.json()["teams"]
    assert (tech["team"], tech["asked"], tech["answered"], tech["on_time"], tech["on_time_rate"]) == (
        "tech",
        1,
        1,
        1,
        1.0,
    )
    assert (await api.get("/reports/collaboration", params=params, headers=holder)).status_code == 403
