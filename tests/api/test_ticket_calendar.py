"""The ticket view's deadlines in the ticket's calendar, with the working time left (default policy)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.opening import ticket_input
from api.workflow_calls import start_ticket
from domain.enums import Priority
from domain.intake import IntakeRequest
from domain.policy import Policy
from infra.settings import Settings
from store import intake as store
from tests.api.conftest import Keys, headers
from tests.api.helpers import assigned, intake_body


async def test_a_medium_ticket_shows_business_hour_deadlines_and_an_urgent_one_24x7(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, policy: Policy
) -> None:
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
        if calendar == "24x7":
            assert due == view.opened_at + timedelta(hours=24)
        else:  # the business-hour sum by literal times: test_a_friday_evening_ticket_is_due_…
            assert resolve["timezone"] == "Asia/Shanghai" and resolve["due_local"].endswith("+08:00")
        # Just opened: all of the 72 h (24 h) of working time is still left.
        assert target - timedelta(minutes=1) <= timedelta(seconds=resolve["working_seconds_left"]) <= target
        assert not resolve["passed"]
        assert promised == due  # the intake answer already counts in the ticket's calendar


SHANGHAI = ZoneInfo("Asia/Shanghai")


def _cst(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("priority", "response_due", "resolve_due", "calendar", "due_local"),
    [
        # Fri 17:00: 1 h that day, then 7.5 h a working day (09:00–12:00, 13:30–18:00).
        # 24 h: 1 + 3 × 7.5 = 23.5 by Wed 18:00, the last 0.5 h Thu 09:00–09:30.
        # 72 h: 1 + 9 × 7.5 = 68.5 by Thu 18 Mar 18:00, the last 3.5 h Fri 19 Mar 09:00–12:00, 13:30–14:00.
        ("medium", _cst(3, 11, 9, 30), _cst(3, 19, 14), "cn-business", "2027-03-19T14:00:00+08:00"),
        # Around the clock: 2 h and 24 h; 24x7 is kept in UTC.
        ("urgent", _cst(3, 5, 19), _cst(3, 6, 17), "24x7", "2027-03-06T09:00:00Z"),
    ],
)
async def test_a_friday_evening_ticket_is_due_in_working_hours_by_literal_times(
    api: httpx.AsyncClient,
    keys: Keys,
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    settings: Settings,
    policy: Policy,
    priority: str,
    response_due: datetime,
    resolve_due: datetime,
    calendar: str,
    due_local: str,
) -> None:
    """Opened Friday 5 March 2027 at 17:00 in Shanghai (no holiday near it): due times worked out by hand."""
    body = IntakeRequest.model_validate(intake_body(category="how_to", kind="consultation"))
    record = await store.open_ticket(
        pool, store.NewTicket(request=body, priority=Priority(priority), opened_at=_cst(3, 5, 17))
    )
    await start_ticket(env.client, settings.task_queue, ticket_input(record, policy))
    view = await assigned(env.client, record.ticket_no)
    assert (view.deadlines.response_due, view.deadlines.resolve_due) == (response_due, resolve_due)
    r = await api.get(f"/tickets/{record.ticket_no}", headers=headers(keys.supervisor))
    assert r.status_code == 200, r.text
    shown = {d["deadline"]: d for d in r.json()["sla"]}
    assert datetime.fromisoformat(shown["resolve_due"]["due"]) == resolve_due
    assert shown["resolve_due"]["calendar"] == calendar
    assert shown["resolve_due"]["due_local"] == due_local
    await env.client.get_workflow_handle(record.ticket_no).terminate("test done")
