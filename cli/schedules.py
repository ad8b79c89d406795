"""The Temporal Schedules of a deployment: the daily retention purge, the weekly and the monthly report, the
classifier's retraining."""

from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from domain.classifier_training import TRAINING_WORKFLOW_NAME, TrainingInput
from domain.policy import Policy, PolicyError, load_policy
from domain.report import MONTHLY_KIND, REPORT_WORKFLOW_NAME, ReportInput
from domain.retention import PURGE_WORKFLOW_NAME, PurgeInput
from infra.settings import Settings

ID_PREFIX = "ticketflow"


def purge_schedule_id(id_prefix: str = ID_PREFIX) -> str:
    return f"{id_prefix}-retention-purge"


def report_schedule_id(id_prefix: str = ID_PREFIX) -> str:
    return f"{id_prefix}-weekly-report"


def monthly_report_schedule_id(id_prefix: str = ID_PREFIX) -> str:
    return f"{id_prefix}-monthly-report"


def training_schedule_id(id_prefix: str = ID_PREFIX) -> str:
    return f"{id_prefix}-classifier-training"


def _at(hour: int, iso_weekday: int | None = None) -> ScheduleCalendarSpec:
    """hh:00:00 every day, or on one ISO weekday (Temporal counts Sunday as 0)."""
    days = [ScheduleRange(iso_weekday % 7)] if iso_weekday is not None else [ScheduleRange(0, 6)]
    return ScheduleCalendarSpec(
        second=[ScheduleRange(0)], minute=[ScheduleRange(0)], hour=[ScheduleRange(hour)], day_of_week=days
    )


def schedules(policy: Policy, task_queue: str, id_prefix: str = ID_PREFIX) -> dict[str, Schedule]:
    """Every schedule the policy asks for, by id (pure: what `ensure_schedules` creates or updates)."""
    zone = policy.report.timezone
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise PolicyError(f"report.timezone {zone!r} is not a known time zone") from e
    # One run at a time; a run missed while the cluster was down is still made within a day.
    policy_ = SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=1))
    purge_id = purge_schedule_id(id_prefix)
    report_id = report_schedule_id(id_prefix)
    monthly_id = monthly_report_schedule_id(id_prefix)
    training_id = training_schedule_id(id_prefix)
    return {
        purge_id: Schedule(
            action=ScheduleActionStartWorkflow(
                PURGE_WORKFLOW_NAME,
                PurgeInput(keep=policy.retention.keep),
                id=f"{purge_id}-run",
                task_queue=task_queue,
                execution_timeout=timedelta(hours=6),
            ),
            spec=ScheduleSpec(calendars=[_at(policy.retention.purge_hour)], time_zone_name=zone),
            policy=policy_,
        ),
        report_id: Schedule(
            action=ScheduleActionStartWorkflow(
                REPORT_WORKFLOW_NAME,
                ReportInput(),
                id=f"{report_id}-run",
                task_queue=task_queue,
                execution_timeout=timedelta(hours=6),
            ),
            spec=ScheduleSpec(
                calendars=[_at(policy.report.hour, policy.report.weekday)], time_zone_name=zone
            ),
            policy=policy_,
        ),
        # Issue 22: the month before, on the 1st at the weekly report's hour.
        monthly_id: Schedule(
            action=ScheduleActionStartWorkflow(
                REPORT_WORKFLOW_NAME,
                ReportInput(kind=MONTHLY_KIND),
                id=f"{monthly_id}-run",
                task_queue=task_queue,
                execution_timeout=timedelta(hours=6),
            ),
            spec=ScheduleSpec(
                calendars=[
                    ScheduleCalendarSpec(
                        second=[ScheduleRange(0)],
                        minute=[ScheduleRange(0)],
                        hour=[ScheduleRange(policy.report.hour)],
                        day_of_month=[ScheduleRange(1)],
                    )
                ],
                time_zone_name=zone,
            ),
            policy=policy_,
        ),
        # Issue 21: the intake classifier retrained on the desk's filed contacts every `retrain_every`.
        training_id: Schedule(
            action=ScheduleActionStartWorkflow(
                TRAINING_WORKFLOW_NAME,
                TrainingInput(desk_examples=policy.classification.desk_examples),
                id=f"{training_id}-run",
                task_queue=task_queue,
                execution_timeout=timedelta(hours=2),
            ),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=policy.classification.retrain_every)]),
            policy=policy_,
        ),
    }


async def ensure_schedules(
    client: Client, settings: Settings, policy: Policy | None = None, *, id_prefix: str = ID_PREFIX
) -> list[str]:
    """Create the schedules, or bring existing ones in line with the policy; their ids. Idempotent."""
    policy = policy or load_policy(settings.policy_file)
    ids = []
    for schedule_id, schedule in schedules(policy, settings.task_queue, id_prefix).items():
        try:
            await client.create_schedule(schedule_id, schedule)
        except ScheduleAlreadyRunningError:

            def replace(_: ScheduleUpdateInput, new: Schedule = schedule) -> ScheduleUpdate:
                return ScheduleUpdate(schedule=new)

            await client.get_schedule_handle(schedule_id).update(replace)
        ids.append(schedule_id)
    return ids
