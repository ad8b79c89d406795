"""The deployment's schedules exist as the policy says, a second call updates rather than fails, and a
triggered report run stores its week."""

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import asyncpg
from temporalio.api.common.v1 import Payload
from temporalio.client import ScheduleActionExecutionStartWorkflow, ScheduleActionStartWorkflow
from temporalio.testing import WorkflowEnvironment

from cli.schedules import (
    ensure_schedules,
    monthly_report_schedule_id,
    purge_schedule_id,
    report_schedule_id,
    training_schedule_id,
)
from domain.policy import Policy, ReportPolicy, Retention
from domain.report import ReportBuilt
from domain.retention import PurgeInput
from infra.settings import Settings
from store import reports
from tests.insights.helpers import eventually, insight_worker


async def test_purge_daily_and_report_monday_nine_in_the_policy_zone(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings, policy: Policy
) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}"
    ids = await ensure_schedules(dev_env.client, settings, policy, id_prefix=prefix)
    assert ids == [
        purge_schedule_id(prefix),
        report_schedule_id(prefix),
        monthly_report_schedule_id(prefix),
        training_schedule_id(prefix),  # issue 21: its run is tested in tests/api/test_classifier_schedule.py
    ]
    monthly = (await dev_env.client.get_schedule_handle(ids[2]).describe()).schedule
    [first] = monthly.spec.calendars
    assert [(r.start, r.end) for r in first.day_of_month] == [(1, 1)] and [r.start for r in first.hour] == [9]
    assert isinstance(monthly.action, ScheduleActionStartWorkflow)
    payload = monthly.action.args[0]
    assert isinstance(payload, Payload) and b'"kind":"monthly"' in payload.data

    purge = (await dev_env.client.get_schedule_handle(ids[0]).describe()).schedule
    assert purge.spec.time_zone_name == "Asia/Shanghai"
    [daily] = purge.spec.calendars
    assert [(r.start, r.end) for r in daily.hour] == [(3, 3)]
    assert [(r.start, r.end) for r in daily.day_of_week] == [(0, 6)]
    assert isinstance(purge.action, ScheduleActionStartWorkflow)
    assert purge.action.workflow == "PurgeWorkflow" and purge.action.task_queue == settings.task_queue
    # Seed 001: archived tickets are kept at least 2 years; the schedule carries the policy's 730 days.
    [purge_input] = await dev_env.client.data_converter.decode(purge.action.args, [PurgeInput])
    assert purge_input == PurgeInput(keep=timedelta(days=730))

    report_handle = dev_env.client.get_schedule_handle(ids[1])
    report = (await report_handle.describe()).schedule
    [weekly] = report.spec.calendars
    assert [(r.start, r.end) for r in weekly.hour] == [(9, 9)]
    assert [(r.start, r.end) for r in weekly.minute] == [(0, 0)]
    assert [(r.start, r.end) for r in weekly.day_of_week] == [(1, 1)]  # Monday
    assert report.spec.time_zone_name == "Asia/Shanghai"
    info = await report_handle.describe()
    upcoming = info.info.next_action_times[0].astimezone(ZoneInfo("Asia/Shanghai"))
    assert (upcoming.isoweekday(), upcoming.hour, upcoming.minute) == (1, 9, 0)

    # A policy change reaches the existing schedule on the next start.
    changed = policy.model_copy(
        update={"report": ReportPolicy(hour=8), "retention": Retention(keep=timedelta(days=800))}
    )
    assert await ensure_schedules(dev_env.client, settings, changed, id_prefix=prefix) == ids
    again = (await report_handle.describe()).schedule
    assert [(r.start, r.end) for r in again.spec.calendars[0].hour] == [(8, 8)]
    purge_again = (await dev_env.client.get_schedule_handle(ids[0]).describe()).schedule
    assert isinstance(purge_again.action, ScheduleActionStartWorkflow)
    [kept] = await dev_env.client.data_converter.decode(purge_again.action.args, [PurgeInput])
    assert kept == PurgeInput(keep=timedelta(days=800))

    # Triggered now: the report of the week before is built and stored.
    async with insight_worker(dev_env.client, pool, settings):
        await report_handle.trigger()
        run = await eventually(lambda: report_handle.describe(), lambda d: bool(d.info.recent_actions))
        started = run.info.recent_actions[0].action
        assert isinstance(started, ScheduleActionExecutionStartWorkflow)
        built = await dev_env.client.get_workflow_handle(
            started.workflow_id, run_id=started.first_execution_run_id, result_type=ReportBuilt
        ).result()
    assert await reports.load(pool, built.week) is not None
    for schedule_id in ids:
        await dev_env.client.get_schedule_handle(schedule_id).delete()
