"""An incident handled as one (issue 22): one note to every linked ticket, all resolved in one call, each
customer told once by their own ticket."""

import asyncio
from datetime import UTC, datetime

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from store import incidents
from tests.api.conftest import Keys, headers
from tests.api.helpers import assigned, intake_body

MEMBER_KEYS = {"frontline-1": "agent", "frontline-2": "other_agent"}
CAUSE = {"what": "物流系统同步失败", "why": "接口变更未通知", "factor": "method", "factors": ["machine"]}


async def _told(pool: asyncpg.Pool, ticket_no: str, template: str) -> int:
    n: int = await pool.fetchval(
        "SELECT count(*) FROM notifications WHERE ticket_no = $1 AND template = $2", ticket_no, template
    )
    return n


async def test_one_note_to_every_linked_ticket_then_all_resolved_in_one_call_each_customer_told_once(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    nos = []
    for _ in range(3):
        r = await api.post("/tickets", json=intake_body(category="how_to"), headers=headers(keys.integrator))
        assert r.status_code == 201, r.text
        nos.append(r.json()["ticket_no"])
    views = [await assigned(env.client, no) for no in nos]
    for view in views[:2]:  # the third is never acknowledged: it cannot be resolved yet
        key = headers(getattr(keys, MEMBER_KEYS[view.assignee or ""]))
        assert (
            await api.post(f"/tickets/{view.ticket_no}/acknowledge", json={}, headers=key)
        ).status_code == 200
    incident_id, _ = await incidents.open_incident(
        pool, f"test-{nos[0]}", "how_to", None, None, "frontline", datetime.now(UTC)
    )
    await incidents.link(pool, incident_id, nos)

    url = f"/incidents/{incident_id}"
    assert (
        await api.post(f"{url}/resolve", json={"solution": "x"}, headers=headers(keys.agent))
    ).status_code == 403
    note = await api.post(
        f"{url}/progress", json={"note": "技术部正在修复同步接口"}, headers=headers(keys.supervisor)
    )
    assert note.status_code == 200, note.text
    assert [(t["ticket_no"], t["outcome"]) for t in note.json()["tickets"]] == [
        (nos[0], "done"),
        (nos[1], "done"),
        (nos[2], "skipped"),
    ]

    body = {"solution": "接口已修复, 数据已补同步", "root_cause": CAUSE}
    r = await api.post(f"{url}/resolve", json=body, headers=headers(keys.supervisor))
    assert r.status_code == 200, r.text
    outcomes = {t["ticket_no"]: (t["outcome"], t["reason"]) for t in r.json()["tickets"]}
    assert outcomes[nos[0]] == ("done", None) and outcomes[nos[1]] == ("done", None)
    assert outcomes[nos[2]] == ("skipped", "the assignee must acknowledge the ticket before resolving it")
    again = await api.post(f"{url}/resolve", json=body, headers=headers(keys.supervisor))
    assert [t["outcome"] for t in again.json()["tickets"]] == ["skipped", "skipped", "skipped"]

    for _ in range(50):  # the callback is staged with the resolve step and tried right after it
        if all([await _told(pool, no, "callback") for no in nos[:2]]):
            break
        await asyncio.sleep(0.1)
    assert [await _told(pool, no, "callback") for no in nos] == [1, 1, 0]
    assert [await _told(pool, no, "progress") for no in nos] == [1, 1, 0]
    incident = (await api.get(url, headers=headers(keys.supervisor))).json()
    assert incident["solution"] == "接口已修复, 数据已补同步"
    assert incident["root_cause"]["factors"] == ["method", "machine"]
    none = await api.post("/incidents/999999/resolve", json=body, headers=headers(keys.supervisor))
    assert none.status_code == 404
