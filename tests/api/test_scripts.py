"""Reply scripts (话术, seeds 003 and 004): the default set, versions by supervisors, and a progress note
written from a script with its variables filled, the timeline keeping which script."""

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from tests.api.conftest import Keys, headers
from tests.api.test_tickets import _assignee_key, _open


async def test_the_default_set_has_every_section_and_a_complaints_own_apology(
    api: httpx.AsyncClient, keys: Keys
) -> None:
    r = await api.get("/scripts", headers=headers(keys.agent))
    assert r.status_code == 200, r.text
    sections = {s["section"] for s in r.json()}
    assert sections == {"greeting", "soothing", "asking", "explaining", "progress", "closing"}
    soothing = await api.get(
        "/scripts", params={"section": "soothing", "kind": "complaint"}, headers=headers(keys.agent)
    )
    first = soothing.json()[0]
    assert first["kind"] == "complaint" and first["variables"] == ["customer", "due"]
    general = await api.get(
        "/scripts", params={"section": "soothing", "kind": "consultation"}, headers=headers(keys.agent)
    )
    assert [s["kind"] for s in general.json()] == [None]


async def test_a_script_based_note_renders_its_variables_and_the_timeline_keeps_which(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    view = await _open(api, keys, env)
    holder = headers(_assignee_key(keys, view))
    assert (
        await api.post(f"/tickets/{view.ticket_no}/acknowledge", json={}, headers=holder)
    ).status_code == 200
    progress = (await api.get("/scripts", params={"section": "progress"}, headers=holder)).json()[0]
    url = f"/tickets/{view.ticket_no}/progress/script"
    short = await api.post(url, json={"script_id": progress["id"]}, headers=holder)
    assert short.status_code == 409 and "progress" in short.json()["error"]["message"]
    body = {"script_id": progress["id"], "values": {"progress": "技术部已定位支付会话问题"}}
    r = await api.post(url, json=body, headers=holder)
    assert r.status_code == 200, r.text
    event = await pool.fetchrow(
        "SELECT data FROM ticket_events WHERE ticket_no = $1 AND type = 'progress'", view.ticket_no
    )
    assert event is not None and event["data"]["script"] == f"{progress['id']}@1"
    note = event["data"]["note"]
    assert note.startswith(
        f"{view.customer.display_name}您好,您的工单 {view.ticket_no} 正在处理中:技术部已定位"
    )
    assert "月" in note and "日" in note and "{" not in note  # {due}: as people write it, 12月4日 18:00前


async def test_supervisors_version_scripts_and_agents_may_not(api: httpx.AsyncClient, keys: Keys) -> None:
    fields = {"section": "closing", "title": "结束 Closing", "body": "感谢您的耐心,{customer}!"}
    refused = await api.post("/scripts", json=fields, headers=headers(keys.agent))
    assert refused.status_code == 403
    made = await api.post("/scripts", json=fields, headers=headers(keys.supervisor))
    assert made.status_code == 201 and made.json()["version"] == 1
    script_id = made.json()["id"]
    revised = await api.put(
        f"/scripts/{script_id}",
        json={**fields, "body": "感谢您的耐心等待,{customer}!"},
        headers=headers(keys.supervisor),
    )
    assert revised.json()["version"] == 2
    old = await api.get(f"/scripts/{script_id}", params={"version": 1}, headers=headers(keys.agent))
    assert old.json()["body"] == fields["body"]
    bad = await api.post(
        "/scripts", json={**fields, "body": "您好{customer!r}"}, headers=headers(keys.supervisor)
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "body"  # the schema's pattern


async def test_a_solution_written_from_an_explaining_script_keeps_which_on_the_timeline(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    view = await _open(api, keys, env)
    holder = headers(_assignee_key(keys, view))
    assert (
        await api.post(f"/tickets/{view.ticket_no}/acknowledge", json={}, headers=holder)
    ).status_code == 200
    explaining = await api.get(
        "/scripts", params={"section": "explaining", "category": "system_fault"}, headers=holder
    )
    script = explaining.json()[0]
    assert script["category"] == "system_fault" and script["variables"] == ["problem", "cause"]
    body = {
        "script_id": script["id"],
        "values": {"problem": "您无法支付", "cause": "第三方支付系统临时故障"},
        "root_cause": {"what": "支付失败", "why": "第三方支付系统临时故障", "factor": "machine"},
    }
    r = await api.post(f"/tickets/{view.ticket_no}/resolve/script", json=body, headers=holder)
    assert r.status_code == 200, r.text
    assert (
        r.json()["solution"]
        == "您好,我们核查到您无法支付的原因是第三方支付系统临时故障,目前已恢复正常,给您带来不便非常抱歉!"
    )
    event = await pool.fetchrow(
        "SELECT data FROM ticket_events WHERE ticket_no = $1 AND type = 'resolved'", view.ticket_no
    )
    assert event is not None and event["data"]["script"] == f"{script['id']}@1"
