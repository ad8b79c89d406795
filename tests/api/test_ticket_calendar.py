"""The ticket view's deadlines in the ticket's calendar, with the working time left (default policy)."""

from datetime import datetime, timedelta

import httpx
from temporalio.testing import WorkflowEnvironment

from domain.calendar import add_working_time
from domain.policy import Policy
from tests.api.conftest import Keys, headers
from tests.api.helpers import assigned, intake_body


async def test_a_medium_ticket_shows_business_hour_deadlines_and_an_urgent_one_24x7(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, policy: Policy
) -> None:
    cn = policy.calendars["cn-business"]
    for priority, calendar in (("medium", "cn-business"), ("urgent", "24x7")):
        body = intake_body(category="how_to", kind="consultation", priority=priority)
        r = await api.post("/tickets", json=body, headers=headers(keys.integrator))
        assert r.status_code == 201, r.text
        promised = datetime.fromisoformat(r.json()["deadlines"]["resolve_due"])
        view = await assigned(env.client, r.json()["ticket_no"])
        r = await api.get(f"/tickets/{view.ticket_no}", headers=headers(keys.supervisor))
        assert r.status_code == 200, r.text
        shown = {d["deadline"]: d for d in r.json()["sla"]}
        resolve = shown["resolve_due"]
        assert resolve["calendar"] == calendar
        assert r.json()["ticket"]["calendars"]["resolve_due"] == calendar
        target = policy.targets.resolution.for_(view.priority)
        due = datetime.fromisoformat(resolve["due"])
        if calendar == "cn-business":
            assert due == add_working_time(cn, view.opened_at, target)
            assert resolve["timezone"] == "Asia/Shanghai"
            assert resolve["due_local"].endswith("+08:00")
        else:
            assert due == view.opened_at + target
        assert target - timedelta(minutes=1) <= timedelta(seconds=resolve["working_seconds_left"]) <= target
        assert not resolve["passed"]
        assert promised == due  # the intake answer already counts in the ticket's calendar
