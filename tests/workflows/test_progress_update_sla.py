"""Seeds 000, 002: progress updates on time are recorded as met, so the report's update SLA is real."""

from datetime import UTC, datetime, timedelta

import asyncpg
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.actions import Acknowledge, FeedbackAnswer, ProgressNote, Resolve, RootCause
from domain.enums import Fishbone, Priority, Status
from domain.policy import Policy
from store import reports
from workflows.ticket import TicketWorkflow as W

from .helpers import Crew, open_ticket, policy_for, until

CAUSE = RootCause(what="接口超时", why="网关限流", factor=Fishbone.MACHINE)


async def test_updates_on_time_count_as_met_and_a_missed_one_as_missed_in_the_weekly_report(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    """Two urgent tickets (an update every 12 h): A notes at 0, 11 h and 22 h, all on time; B notes at 0,
    misses the 12 h update and notes at 13 h. The report over both: update 3 of 4 met; A alone 100 %."""
    rules = policy_for(policy, crew, review={"priorities": [], "kinds": []})
    a = await open_ticket(ts_env, pool, task_queue, rules, priority=Priority.URGENT)
    b = await open_ticket(ts_env, pool, task_queue, rules, priority=Priority.URGENT)
    for h in (a, b):
        view = await until(h, lambda v: v.assignee is not None)
        await h.execute_update(W.acknowledge, Acknowledge(by=view.assignee or ""))
        noted = await h.execute_update(W.progress, ProgressNote(by="agent", note="已受理, 正在排查"))
        assert noted.deadlines.update_due == noted.first_response_at + timedelta(hours=12)  # type: ignore[operator]

    await ts_env.sleep(timedelta(hours=11))
    await a.execute_update(W.progress, ProgressNote(by="agent", note="已联系技术部"))
    await ts_env.sleep(timedelta(hours=2))
    view = await until(b, lambda v: v.sla_breached)
    assert view.escalation_level == 1
    await b.execute_update(W.progress, ProgressNote(by="agent", note="技术部已定位"))
    await ts_env.sleep(timedelta(hours=9))
    await a.execute_update(W.progress, ProgressNote(by="agent", note="修复中"))

    for h in (a, b):
        await h.execute_update(W.resolve, Resolve(by="agent", solution="已修复", root_cause=CAUSE))
        await until(h, lambda v: v.status is Status.AWAITING_FEEDBACK)
        await h.execute_update(W.feedback, FeedbackAnswer(solved=True, score=5))
    closed = [await h.result() for h in (a, b)]

    def updates(record: dict[str, object]) -> list[bool]:
        return [d["met"] for d in record["deadlines"] if d["clock"] == "update"]  # type: ignore[attr-defined]

    record_a = await pool.fetchval("SELECT record FROM archive WHERE ticket_no = $1", a.id)
    record_b = await pool.fetchval("SELECT record FROM archive WHERE ticket_no = $1", b.id)
    assert updates(record_a) == [True, True]
    assert updates(record_b) == [False, True]

    start = min(v.opened_at for v in closed) - timedelta(seconds=1)
    end = max(v.closed_at for v in closed if v.closed_at) + timedelta(seconds=1)
    report = await reports.weekly(
        pool,
        week="window",
        timezone="Asia/Shanghai",
        start=start,
        end=end,
        generated_at=datetime.now(UTC),
        satisfied_at=4,
        top_issues=10,
    )
    update = next(t for t in report.sla if t.target == "update")
    assert (update.total, update.met, update.rate) == (4, 3, 0.75)

    await pool.execute("DELETE FROM archive WHERE ticket_no = $1", b.id)
    alone = await reports.weekly(
        pool,
        week="window",
        timezone="Asia/Shanghai",
        start=start,
        end=end,
        generated_at=datetime.now(UTC),
        satisfied_at=4,
        top_issues=10,
    )
    update = next(t for t in alone.sla if t.target == "update")
    assert (update.total, update.met, update.rate) == (2, 2, 1.0)
