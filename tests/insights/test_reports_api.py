"""The reports router in a test app: weekly report as JSON and HTML, incidents, root-cause search, runs."""

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from api import errors
from api import reports as reports_api
from domain.enums import ApiRole
from domain.policy import Policy
from domain.report import ReportBuilt
from infra.settings import Settings
from store import reports
from store.api_keys import NewApiKey, create_api_key
from store.directory import seed_demo

from . import report_data
from .helpers import insight_worker
from .report_data import EXPECTED, WEEK


@pytest.fixture(scope="module")
async def keys(pool: asyncpg.Pool) -> dict[str, str]:
    await seed_demo(pool)
    await report_data.load(pool)
    return {
        "supervisor": (
            await create_api_key(pool, NewApiKey(role=ApiRole.SUPERVISOR, member_id="frontline-sup"))
        ).key,
        "agent": (await create_api_key(pool, NewApiKey(role=ApiRole.AGENT, member_id="frontline-1"))).key,
        "logistics_sup": (
            await create_api_key(pool, NewApiKey(role=ApiRole.SUPERVISOR, member_id="logistics-sup"))
        ).key,
    }


@pytest.fixture
async def api(
    time_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings, policy: Policy
) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    errors.install(app)
    app.include_router(reports_api.router)
    app.state.pool, app.state.policy, app.state.settings = pool, policy, settings
    app.state.temporal = time_env.client
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


def _h(key: str, accept: str = "application/json") -> dict[str, str]:
    return {"X-API-Key": key, "Accept": accept}


async def test_weekly_json_is_built_on_first_read_and_stored(
    api: httpx.AsyncClient, keys: dict[str, str], pool: asyncpg.Pool
) -> None:
    r = await api.get(f"/reports/weekly?week={WEEK}", headers=_h(keys["supervisor"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["week"], body["volume"]["total"], body["closed"]) == (WEEK, 5, 4)
    assert [(s["target"], s["rate"]) for s in body["sla"]] == [(t, rate) for t, _, _, rate in EXPECTED["sla"]]
    assert body["satisfaction"]["satisfied_share"] == EXPECTED["satisfaction"]["satisfied_share"]
    assert await reports.load(pool, WEEK) is not None
    again = await api.get(f"/reports/weekly?week={WEEK}", headers=_h(keys["supervisor"]))
    assert again.json()["generated_at"] == body["generated_at"]  # served from the store


async def test_weekly_html_by_accept_header_and_by_path(api: httpx.AsyncClient, keys: dict[str, str]) -> None:
    by_accept = await api.get(f"/reports/weekly?week={WEEK}", headers=_h(keys["supervisor"], "text/html"))
    by_path = await api.get(f"/reports/weekly/{WEEK}.html", headers=_h(keys["supervisor"], "*/*"))
    for r in (by_accept, by_path):
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert r.text.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') >= 9
        assert "<script" not in r.text and "http://" not in r.text.replace("http://www.w3.org/2000/svg", "")
        assert 'data-metric="opened">5<' in r.text and 'data-metric="satisfied_share">66.7%<' in r.text


async def test_weekly_refusals(api: httpx.AsyncClient, keys: dict[str, str]) -> None:
    assert (await api.get(f"/reports/weekly?week={WEEK}", headers=_h(keys["agent"]))).status_code == 403
    assert (await api.get(f"/reports/weekly?week={WEEK}")).status_code == 401
    bad = await api.get("/reports/weekly?week=2026-47", headers=_h(keys["supervisor"]))
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "week")
    future = await api.get("/reports/weekly?week=2099-W01", headers=_h(keys["supervisor"]))
    assert (future.status_code, future.json()["error"]["code"]) == (409, "week_not_over")


async def test_incidents_listed_read_by_ticket_and_closed_by_a_supervisor(
    api: httpx.AsyncClient, keys: dict[str, str]
) -> None:
    listed = await api.get("/incidents?status=open", headers=_h(keys["agent"]))
    assert listed.status_code == 200
    assert len(listed.json()) == 2
    [newest] = [i for i in listed.json() if i["product"] == "SKU-9"]  # the incident of the week
    [older] = [i for i in listed.json() if i["product"] is None]
    assert (newest["product"], sorted(newest["ticket_nos"])) == (
        "SKU-9",
        ["202611-470001", "202611-470003", "202611-470006"],
    )
    # Read like the ticket: its team's supervisor may, anyone else sees no such ticket.
    linked = await api.get("/tickets/202611-470003/incidents", headers=_h(keys["logistics_sup"]))
    assert [i["id"] for i in linked.json()] == [newest["id"]]
    assert (await api.get("/tickets/202611-470003/incidents", headers=_h(keys["agent"]))).status_code == 404
    assert (
        await api.get("/tickets/202611-470003/incidents", headers=_h(keys["supervisor"]))
    ).status_code == 404
    assert (
        await api.get("/tickets/202611-999999/incidents", headers=_h(keys["supervisor"]))
    ).status_code == 404

    path = f"/incidents/{newest['id']}/close"
    assert (await api.post(path, headers=_h(keys["agent"]), json={})).status_code == 403
    closed = await api.post(path, headers=_h(keys["supervisor"]), json={"note": "courier retrained"})
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.json()["closed_by"], closed.json()["note"]) == (
        "closed",
        "frontline-sup",
        "courier retrained",
    )
    still_open = await api.get("/incidents?status=open", headers=_h(keys["agent"]))
    assert [i["id"] for i in still_open.json()] == [older["id"]]
    assert (await api.get("/incidents/999999", headers=_h(keys["agent"]))).status_code == 404


async def test_root_causes_are_searchable(api: httpx.AsyncClient, keys: dict[str, str]) -> None:
    hits = await api.get("/root-causes?q=COURIER", headers=_h(keys["agent"]))
    assert sorted(h["ticket_no"] for h in hits.json()) == ["202611-470000", "202611-470001", "202611-470003"]
    machine = await api.get("/root-causes?factor=machine", headers=_h(keys["agent"]))
    assert [h["ticket_no"] for h in machine.json()] == ["202611-470002"]
    common = await api.get("/root-causes?category=logistics&common=true", headers=_h(keys["agent"]))
    assert [h["ticket_no"] for h in common.json()] == ["202611-470001", "202611-470000"]


async def test_a_past_week_can_be_run_on_demand(
    api: httpx.AsyncClient,
    keys: dict[str, str],
    time_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    settings: Settings,
) -> None:
    async with insight_worker(time_env.client, pool, settings):
        r = await api.post("/reports/weekly/2026-W46/run", headers=_h(keys["supervisor"]))
        assert r.status_code == 202, r.text
        built = await time_env.client.get_workflow_handle(
            r.json()["workflow_id"], result_type=ReportBuilt
        ).result()
    assert (built.week, built.opened, built.closed) == ("2026-W46", 2, 1)
    stored = await reports.load(pool, "2026-W46")
    assert stored is not None and stored.volume.total == 2
