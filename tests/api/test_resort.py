"""Re-sorting a misfiled ticket (seeds 000, 003, issue 21): the team follows routing, a new priority's
deadlines count from the intake time, the correction is on the timeline and kept as a training example."""

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from domain.enums import Priority
from domain.policy import Policy
from domain.sla import Clock, due_from
from infra import search_attributes as sa
from tests.api.conftest import Keys, headers
from tests.api.helpers import assigned, intake_body

SEED_SAMPLE = "订单号230930001, 支付成功后未收到发货短信"


async def _misfiled(api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment) -> str:
    # Filed by hand as a how-to question: frontline holds it.
    body = intake_body(kind="consultation", category="how_to", description=SEED_SAMPLE)
    r = await api.post("/tickets", json=body, headers=headers(keys.integrator))
    assert r.status_code == 201, r.text
    view = await assigned(env.client, r.json()["ticket_no"])
    assert view.team == "frontline" and view.assignee is not None
    return view.ticket_no


async def test_a_category_re_sort_moves_the_ticket_to_the_new_team_and_keeps_its_clocks_from_intake(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool, policy: Policy
) -> None:
    ticket_no = await _misfiled(api, keys, env)
    before = (await assigned(env.client, ticket_no)).deadlines
    r = await api.post(
        f"/tickets/{ticket_no}/resort",
        json={
            "category": "logistics",
            "kind": "complaint",
            "priority": "high",
            "reason": "发货短信: 物流问题",
        },
        headers=headers(keys.supervisor),
    )
    assert r.status_code == 200, r.text
    view = r.json()
    assert (view["category"], view["kind"], view["priority"], view["team"]) == (
        "logistics", "complaint", "high", "logistics",
    )  # fmt: skip
    moved = await assigned(env.client, ticket_no)
    assert moved.team == "logistics" and moved.assignee is not None and moved.assignee.startswith("logistics")
    # The rule: a new priority's targets count from the intake time, never from the correction.
    opened = moved.opened_at
    tier = moved.customer.tier
    assert moved.deadlines.response_due == due_from(policy, Clock.RESPONSE, Priority.HIGH, tier, opened)
    assert moved.deadlines.resolve_due == due_from(policy, Clock.RESOLVE, Priority.HIGH, tier, opened)
    assert before.resolve_due is not None and moved.deadlines.resolve_due is not None
    assert moved.deadlines.resolve_due < before.resolve_due  # high (48 h) is sooner than medium (72 h)
    attributes = (await env.client.get_workflow_handle(ticket_no).describe()).typed_search_attributes
    assert (attributes.get(sa.CATEGORY), attributes.get(sa.TEAM), attributes.get(sa.PRIORITY)) == (
        "logistics", "logistics", "high",
    )  # fmt: skip
    event = await pool.fetchrow(
        "SELECT actor, data FROM ticket_events WHERE ticket_no = $1 AND type = 'resorted'", ticket_no
    )
    assert event is not None and event["actor"] == "frontline-sup"
    assert event["data"]["before"]["category"] == "how_to" and event["data"]["reason"] == "发货短信: 物流问题"
    assert sorted(event["data"]["clocks"]) == ["resolve", "response"]
    row = await pool.fetchrow("SELECT category, kind, team FROM tickets WHERE ticket_no = $1", ticket_no)
    assert row is not None and (row["category"], row["kind"], row["team"]) == (
        "logistics",
        "complaint",
        "logistics",
    )
    example = await pool.fetchrow(
        "SELECT category, kind, corrected_by FROM classification_examples WHERE ticket_no = $1", ticket_no
    )
    assert example is not None
    assert (example["category"], example["kind"], example["corrected_by"]) == (
        "logistics", "complaint", "frontline-sup",
    )  # fmt: skip


async def test_a_re_sort_that_changes_nothing_or_touches_a_strangers_ticket_is_refused(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment
) -> None:
    ticket_no = await _misfiled(api, keys, env)
    url = f"/tickets/{ticket_no}/resort"
    same = await api.post(url, json={"category": "how_to", "reason": "x"}, headers=headers(keys.supervisor))
    assert same.status_code == 409 and "already has" in same.json()["error"]["message"]
    stranger = await api.post(
        url, json={"category": "logistics", "reason": "x"}, headers=headers(keys.other_supervisor)
    )
    assert stranger.status_code == 404
    bare = await api.post(url, json={"category": "logistics"}, headers=headers(keys.supervisor))
    assert bare.status_code == 422 and bare.json()["error"]["field"] == "reason"


async def test_a_triage_ticket_is_settled_by_a_re_sort_of_its_holder(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment
) -> None:
    body = intake_body(description="今天心情一般")
    del body["kind"], body["category"]
    r = await api.post("/tickets", json=body, headers=headers(keys.integrator))
    assert r.json()["needs_triage"] is True
    view = await assigned(env.client, r.json()["ticket_no"])
    holder = keys.agent if view.assignee == "frontline-1" else keys.other_agent
    settled = await api.post(
        f"/tickets/{view.ticket_no}/resort",
        json={"kind": "consultation", "reason": "确认为一般咨询"},
        headers=headers(holder),
    )
    assert settled.status_code == 200, settled.text
    assert settled.json()["needs_triage"] is False and settled.json()["team"] == "frontline"
