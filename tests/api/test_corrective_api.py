"""A supervisor opens a corrective action from a root cause; its owner reports it done with evidence."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.api.conftest import Keys, headers
from tests.api.helpers import assigned, intake_body


async def test_opened_from_a_root_cause_done_by_its_owner_only_and_refused_when_malformed(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment
) -> None:
    r = await api.post(
        "/tickets", json=intake_body(category="logistics", product="X1"), headers=headers(keys.integrator)
    )
    assert r.status_code == 201, r.text
    ticket_no = r.json()["ticket_no"]
    await assigned(env.client, ticket_no)
    due = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    body = {
        "owner": "frontline-1",
        "change": "出库前加包装检查, 联系 13812345678",
        "due": due,
        "ticket_no": ticket_no,
    }

    assert (await api.post("/corrective-actions", json=body, headers=headers(keys.agent))).status_code == 403
    both = await api.post(
        "/corrective-actions", json={**body, "incident_id": 1}, headers=headers(keys.supervisor)
    )
    assert both.status_code == 422 and "one of them" in both.json()["error"]["message"]
    past = {**body, "due": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}
    late = await api.post("/corrective-actions", json=past, headers=headers(keys.supervisor))
    assert late.status_code == 422 and late.json()["error"]["field"] == "due"
    nobody = await api.post(
        "/corrective-actions", json={**body, "owner": "nobody"}, headers=headers(keys.supervisor)
    )
    assert nobody.status_code == 404 and nobody.json()["error"]["field"] == "owner"

    r = await api.post("/corrective-actions", json=body, headers=headers(keys.supervisor))
    assert r.status_code == 201, r.text
    opened = r.json()
    assert (opened["status"], opened["category"], opened["product"], opened["team"]) == (
        "open",
        "logistics",
        "X1",
        "frontline",
    )
    assert opened["change"] == "出库前加包装检查, 联系 138****5678"
    url = f"/corrective-actions/{opened['action_id']}"

    refused = await api.post(f"{url}/done", json={"evidence": "SOP v2"}, headers=headers(keys.other_agent))
    assert refused.status_code == 403
    done = await api.post(f"{url}/done", json={"evidence": "SOP v2 已发布"}, headers=headers(keys.agent))
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["evidence"]) == ("done", "SOP v2 已发布")
    again = await api.post(f"{url}/done", json={"evidence": "again"}, headers=headers(keys.agent))
    assert again.status_code == 409 and "only an open one" in again.json()["error"]["message"]

    for _ in range(50):  # the row is the workflow's write, right after the update
        row = (await api.get(url, headers=headers(keys.supervisor))).json()
        if row["status"] == "done":
            break
        await asyncio.sleep(0.1)
    assert (row["status"], row["done_by"], row["ticket_no"], row["effects"]) == (
        "done",
        "frontline-1",
        ticket_no,
        [],
    )
    assert (await api.get("/corrective-actions/999999", headers=headers(keys.supervisor))).status_code == 404
