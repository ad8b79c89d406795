"""Business calendars in the ticket workflow: a Friday-evening ticket before a holiday week, paused, resumed.

The calendar is built around the next Friday of the test server's clock, so the times below are exact
whenever the test runs: Shanghai business hours 09:00-12:00 and 13:30-18:00 (7.5 h a day), the following
Monday to Friday a holiday week, the Saturday after it a make-up workday (调休).
"""

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.actions import Acknowledge, ProgressNote, Resume, WaitForCustomer
from domain.enums import Priority, Status
from domain.policy import Policy
from workflows.ticket import TicketWorkflow

from .helpers import Crew, events, eventually, notified, open_ticket, policy_for, save_history, until

SH = ZoneInfo("Asia/Shanghai")
SPANS = ["09:00-12:00", "13:30-18:00"]


def _next_friday(now: datetime) -> date:
    today = now.astimezone(SH).date()
    return today + timedelta(days=(4 - today.weekday()) % 7 or 7)


def _calendar_policy(policy: Policy, crew: Crew, friday: date) -> Policy:
    holidays = [friday + timedelta(days=n) for n in range(3, 8)]  # Monday to Friday of the next week
    return policy_for(
        policy,
        crew,
        targets={
            "warn_at": [0.5, 0.8],
            # Escalation rungs count in wall time here, so the director's rung lands at night.
            "calendar": {
                "default": "cn-test",
                "priorities": {"urgent": "24x7"},
                "targets": {"escalation": "24x7"},
            },
        },
        calendars={
            "cn-test": {
                "timezone": "Asia/Shanghai",
                **{d: SPANS for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
                "holidays": [d.isoformat() for d in holidays],
                "makeup_workdays": [(friday + timedelta(days=8)).isoformat()],
            }
        },
        quiet_hours={"head": "cn-test", "director": "cn-test"},
    )


async def test_friday_evening_ticket_before_a_holiday_week_paused_and_resumed_in_working_time(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    friday = _next_friday(await ts_env.get_current_time())

    def at(days: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(friday + timedelta(days=days), time(hour, minute), tzinfo=SH)

    async def sleep_until(t: datetime) -> None:
        await ts_env.sleep(t - await ts_env.get_current_time())

    # Friday 19:30, after hours: nothing counts until the make-up Saturday 09:00.
    await sleep_until(at(0, 19, 30))
    handle = await open_ticket(
        ts_env, pool, task_queue, _calendar_policy(policy, crew, friday), priority=Priority.MEDIUM
    )
    view = await until(handle, lambda v: v.assignee is not None)
    assert view.deadlines.ack_due == at(8, 10, 0)  # 1 working hour: Saturday F+8 10:00
    # 24 working hours: Sat 7.5, Mon 15, Tue 22.5, Wed F+12 1.5 h → 10:30.
    assert view.deadlines.response_due == at(12, 10, 30)
    # 72 working hours: nine whole days (Sat F+8, Mon-Fri, Mon-Wed) and 4.5 h of Thursday F+20 → 15:00.
    assert view.deadlines.resolve_due == at(20, 15, 0)
    assert view.calendars == {"ack_due": "cn-test", "response_due": "cn-test", "resolve_due": "cn-test"}
    await handle.execute_update(TicketWorkflow.acknowledge, Acknowledge(by=view.assignee))
    view = await handle.execute_update(TicketWorkflow.progress, ProgressNote(by="x", note="已收到"))
    assert view.deadlines.update_due == at(12, 10, 30)

    # Saturday F+8 20:00: 7.5 h spent; waiting for the customer until Tuesday F+11 08:00. Only Monday's
    # 7.5 h of the pause were working time.
    await sleep_until(at(8, 20, 0))
    view = await handle.execute_update(
        TicketWorkflow.wait_for_customer, WaitForCustomer(by="x", reason="照片")
    )
    assert view.deadlines.resolve_due == at(20, 15, 0)
    await sleep_until(at(11, 8, 0))
    view = await handle.execute_update(TicketWorkflow.resume, Resume(by="x"))
    assert view.status is Status.IN_PROGRESS
    # 64.5 h left, from Tuesday F+11 09:00: Tue-Fri 30, Mon-Thu 60, Friday F+21 4.5 h → 15:00.
    assert view.deadlines.resolve_due == at(21, 15, 0)
    # The progress cadence restarts at the resume: 24 h from Tuesday 09:00 → Friday F+14 10:30.
    assert view.deadlines.update_due == at(14, 10, 30)

    # Friday F+14 18:00: the missed update escalated at 10:30 (supervisor), 14:30 (head, in office hours).
    await sleep_until(at(14, 18, 0))

    async def escalated_to() -> list[str]:
        return await _escalated_to(pool, handle.id, crew)

    assert await eventually(lambda: _at_least(escalated_to, 2)) == [crew.supervisor, crew.head]

    # The director's rung at 18:30 is held by quiet hours until Monday F+17 09:00.
    await sleep_until(at(17, 8, 59))
    assert await escalated_to() == [crew.supervisor, crew.head]
    await sleep_until(at(17, 12, 0))
    assert await eventually(lambda: _at_least(escalated_to, 3)) == [crew.supervisor, crew.head, crew.director]
    seen = [r for r in await events(pool, handle.id) if r["type"] in WATCHED]
    resumed, *rest = seen
    assert resumed["type"] == "resumed" and resumed["data"]["paused_working_seconds"] == 7.5 * 3600
    update_due, resolve_due = at(14, 10, 30), at(21, 15, 0)
    expected = [
        # Update clock from Tuesday 09:00: 12 h → Wednesday F+12 15:00, 19.2 h → Thursday F+13 14:42.
        ("warned", at(12, 15, 0), {"target": "update", "at": "50%", "due": update_due}),
        ("warned", at(13, 14, 42), {"target": "update", "at": "80%", "due": update_due}),
        ("breached", at(14, 10, 30), {"target": "update", "due": at(14, 10, 30)}),
        ("escalated", at(14, 10, 30), {"level": 1, "due": at(14, 10, 30)}),
        ("escalated", at(14, 14, 30), {"level": 2, "due": at(14, 14, 30)}),
        # Resolution: 36 working hours spent (Sat 7.5 before the pause, 28.5 after) → Friday F+14 16:30.
        ("warned", at(14, 16, 30), {"target": "resolve", "at": "50%", "due": resolve_due}),
        ("escalated", at(14, 18, 30), {"level": 3, "due": at(14, 18, 30)}),
        ("notification_held", at(14, 18, 30), {"audience": "director", "until": at(17, 9, 0)}),
    ]
    assert [(r["type"], _facts(r["data"])) for r in rest] == [(t, f) for t, _, f in expected]
    # Each timer fires at its computed instant; the event is stamped when its workflow task runs, a moment on.
    for r, (_, when, _) in zip(rest, expected, strict=True):
        assert timedelta(0) <= r["at"] - when < timedelta(seconds=2), (r["type"], r["at"], when)
    await save_history(handle, "business_calendar_holiday_week_pause_resume")
    await handle.terminate("test done")


async def _at_least(read: Callable[[], Awaitable[list[str]]], n: int) -> list[str]:
    got = await read()
    return got if len(got) >= n else []


async def _escalated_to(pool: asyncpg.Pool, ticket_no: str, crew: Crew) -> list[str]:
    """Recipients from this test's crew: every director in the module's directory hears a level-3 notice."""
    mine = {crew.supervisor, crew.head, crew.director}
    return [r for r in await notified(pool, ticket_no, "escalated") if r in mine]


WATCHED = {"resumed", "warned", "breached", "escalated", "notification_held"}


def _facts(data: dict[str, Any]) -> dict[str, Any]:
    keep = {"target", "at", "level", "audience"}
    out: dict[str, Any] = {k: v for k, v in data.items() if k in keep}
    for k in ("due", "until"):
        if k in data:
            out[k] = datetime.fromisoformat(data[k])
    return out


async def test_urgent_tickets_count_in_24x7_and_go_through_quiet_hours(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    friday = _next_friday(await ts_env.get_current_time())
    evening = datetime.combine(friday, time(19, 30), tzinfo=SH)
    await ts_env.sleep(evening - await ts_env.get_current_time())
    handle = await open_ticket(
        ts_env, pool, task_queue, _calendar_policy(policy, crew, friday), priority=Priority.URGENT
    )
    view = await until(handle, lambda v: v.assignee is not None)
    opened = view.opened_at  # the test server's clock runs on a few ms while the ticket opens
    assert timedelta(0) <= opened - evening < timedelta(seconds=2)
    assert view.deadlines.response_due == opened + timedelta(hours=2)  # urgent: 24x7 by policy
    assert view.calendars["response_due"] == "24x7"
    # No response: 21:30 supervisor, 01:30 head, 05:30 director, all in the middle of the night.
    await ts_env.sleep(timedelta(hours=10, minutes=30))
    rows = await events(pool, handle.id)
    assert [datetime.fromisoformat(r["data"]["due"]) for r in rows if r["type"] == "escalated"] == [
        opened + timedelta(hours=h) for h in (2, 6, 10)
    ]
    assert not [r for r in rows if r["type"] == "notification_held"]
    assert await _escalated_to(pool, handle.id, crew) == [crew.supervisor, crew.head, crew.director]
    await handle.terminate("test done")


async def test_a_vip_customer_counts_in_24x7_whatever_the_priority(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    friday = _next_friday(await ts_env.get_current_time())
    raw = _calendar_policy(policy, crew, friday).model_dump(mode="json")
    raw["targets"]["calendar"]["tiers"] = {"vip": "24x7"}
    vip_policy = Policy.model_validate(raw)
    await ts_env.sleep(datetime.combine(friday, time(19, 30), tzinfo=SH) - await ts_env.get_current_time())
    handle = await open_ticket(ts_env, pool, task_queue, vip_policy, priority=Priority.LOW, tier="vip")
    view = await until(handle, lambda v: v.assignee is not None)
    assert view.deadlines.resolve_due == view.opened_at + timedelta(hours=120)
    assert set(view.calendars.values()) == {"24x7"}
    await handle.terminate("test done")


async def test_a_calendar_ticket_records_no_patch_marker_and_no_change_version(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    """One version before the first release: a patch would cost every ticket a marker and a
    TemporalChangeVersion upsert (a visibility write on the server)."""
    friday = _next_friday(await ts_env.get_current_time())
    handle = await open_ticket(ts_env, pool, task_queue, _calendar_policy(policy, crew, friday))
    view = await until(handle, lambda v: v.assignee is not None)
    assert view.calendars
    history = await handle.fetch_history()
    markers = [
        e.marker_recorded_event_attributes.marker_name
        for e in history.events
        if e.HasField("marker_recorded_event_attributes")
    ]
    versions = [
        e
        for e in history.events
        if "TemporalChangeVersion"
        in e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
    ]
    assert "core_patch" not in markers
    assert versions == []
