"""Resolving with a traced cause through the API (seed 003), and the customer disputing it by their link."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from temporalio.testing import WorkflowEnvironment

from domain.enums import Status
from domain.feedback_link import sign
from domain.ticket import TicketView
from infra.settings import Settings
from tests.api.conftest import Keys, headers
from tests.api.helpers import assigned, intake_body

MEMBER_KEYS = {"frontline-1": "agent", "frontline-2": "other_agent"}
CAUSE = {
    "what": "验证码短信未送达",
    "why": "短信网关限流",
    "factor": "machine",
    "factors": ["method"],
    "whys": ["为何收不到? 客户13812345678的短信被网关丢弃", "为何丢弃? 网关限流"],
    "evidence": [{"kind": "logs", "detail": "网关日志: 429 Too Many Requests"}],
    "verified": True,
}


async def _working_fault(api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment) -> tuple[str, str]:
    r = await api.post("/tickets", json=intake_body(category="how_to"), headers=headers(keys.integrator))
    assert r.status_code == 201, r.text
    view = await assigned(env.client, r.json()["ticket_no"])
    key: str = getattr(keys, MEMBER_KEYS[view.assignee or ""])
    ack = await api.post(f"/tickets/{view.ticket_no}/acknowledge", json={}, headers=headers(key))
    assert ack.status_code == 200, ack.text
    return view.ticket_no, key


async def test_a_fault_needs_its_cause_a_verified_one_its_evidence_and_the_chain_is_masked(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment
) -> None:
    ticket_no, key = await _working_fault(api, keys, env)
    url = f"/tickets/{ticket_no}/resolve"
    bare = await api.post(url, json={"solution": "已重发"}, headers=headers(key))
    assert bare.status_code == 409, bare.text
    assert bare.json()["error"]["message"].startswith("a fault_report is resolved with its root cause")
    unproven = {**CAUSE, "evidence": []}
    r = await api.post(url, json={"solution": "已重发", "root_cause": unproven}, headers=headers(key))
    assert r.status_code == 422 and "a verified cause names its evidence" in r.json()["error"]["message"]
    six = {**CAUSE, "whys": ["为何?"] * 6}
    r = await api.post(url, json={"solution": "已重发", "root_cause": six}, headers=headers(key))
    assert r.status_code == 422 and r.json()["error"]["field"] == "root_cause.whys"

    r = await api.post(url, json={"solution": "已调整网关配额", "root_cause": CAUSE}, headers=headers(key))
    assert r.status_code == 200, r.text
    cause = r.json()["root_cause"]
    assert cause["whys"][0] == "为何收不到? 客户138****5678的短信被网关丢弃"
    assert (cause["verified"], cause["factors"]) == (True, ["machine", "method"])
    assert cause["verified_by"] in MEMBER_KEYS


async def test_the_customer_disputes_the_cause_by_their_link_and_the_ticket_reopens_marked(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, settings: Settings
) -> None:
    ticket_no, key = await _working_fault(api, keys, env)
    body = {"solution": "已调整网关配额", "root_cause": CAUSE}
    r = await api.post(f"/tickets/{ticket_no}/resolve", json=body, headers=headers(key))
    assert r.status_code == 200, r.text
    handle = env.client.get_workflow_handle(ticket_no, result_type=TicketView)
    for _ in range(100):
        view = await handle.query("view", result_type=TicketView)
        if view.status is Status.AWAITING_FEEDBACK:
            break
        await asyncio.sleep(0.1)
    token = sign(ticket_no, 1, datetime.now(UTC) + timedelta(days=1), settings.secret_key.get_secret_value())
    answer = {"solved": True, "score": 4, "comment": "我换了手机也收不到", "disputes_cause": True}
    r = await api.post(f"/feedback/{token}", json=answer)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "in_progress"
    view = await handle.query("view", result_type=TicketView)
    assert view.cause_disputed and view.reopen_count == 1
    bad = await api.post(f"/feedback/{token}", json={**answer, "disputes_cause": "yes"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "disputes_cause"
