"""Compensation on a resolution (seeds 000–002): above its type's threshold a supervisor approves it (a
waiting approval goes to the department head after 4 h), the customer accepts or declines it, and a
refused one returns the ticket to its holder with the reason."""

from datetime import timedelta
from decimal import Decimal

import asyncpg
import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.access import Caller
from domain.actions import (
    Acknowledge,
    CompensationDecision,
    FeedbackAnswer,
    Resolve,
    ReviewDecision,
    RootCause,
)
from domain.compensation import Compensation, CompensationStatus, CompensationType
from domain.enums import ApiRole, Fishbone, Kind, Status
from domain.policy import Policy
from domain.ticket import TicketView
from workflows.ticket import TicketWorkflow

from .helpers import Crew, events, notified, open_ticket, policy_for, until

W = TicketWorkflow
CAUSE = RootCause(what="设备异响", why="出厂批次轴承缺陷", factor=Fishbone.MATERIAL)
REFUND_300 = Compensation(type=CompensationType.REFUND, amount=Decimal("300"), reason="退还维修费")


async def _in_progress(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tq: str, policy: Policy, crew: Crew
) -> tuple[WorkflowHandle[W, TicketView], str]:
    handle = await open_ticket(ts_env, pool, tq, policy_for(policy, crew))
    view = await until(handle, lambda v: v.assignee is not None)
    assert view.assignee is not None
    await handle.execute_update(W.acknowledge, Acknowledge(by=view.assignee))
    return handle, view.assignee


def _sup(crew: Crew) -> Caller:
    return Caller(role=ApiRole.SUPERVISOR, member_id=crew.supervisor, team_id=crew.team)


def test_thresholds_per_type_in_the_policy_currency(policy: Policy) -> None:
    c = policy.compensation

    def offer(t: CompensationType, amount: str, currency: str = "CNY") -> Compensation:
        return Compensation(type=t, amount=Decimal(amount), currency=currency, reason="r")

    assert not c.needs_approval(offer(CompensationType.REFUND, "100"))
    assert c.needs_approval(offer(CompensationType.REFUND, "100.01"))
    assert not c.needs_approval(offer(CompensationType.COUPON, "10"))  # seed 000: 补偿优惠券10元
    assert c.needs_approval(offer(CompensationType.COUPON, "50.01"))
    assert not c.needs_approval(offer(CompensationType.REPLACEMENT, "500"))
    assert c.needs_approval(offer(CompensationType.REPAIR, "500.01"))
    assert c.needs_approval(offer(CompensationType.OTHER, "0.01"))
    assert c.needs_approval(offer(CompensationType.COUPON, "1", "USD"))
    assert c.approval_within == timedelta(hours=4)


async def test_refund_above_threshold_waits_escalates_after_4h_is_approved_then_accepted(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    handle, agent = await _in_progress(ts_env, pool, task_queue, policy, crew)
    view = await handle.execute_update(
        W.resolve, Resolve(by=agent, solution="已更换新设备", root_cause=CAUSE, compensation=REFUND_300)
    )
    assert view.status is Status.IN_REVIEW and view.compensation is not None
    assert view.compensation.status is CompensationStatus.PENDING_APPROVAL
    assert view.deadlines.approval_due == view.resolved_at + timedelta(hours=4)  # type: ignore[operator]
    assert await notified(pool, handle.id, "compensation_approval") == [crew.supervisor]

    await ts_env.sleep(timedelta(hours=4, minutes=1))
    assert await notified(pool, handle.id, "compensation_approval_overdue") == [crew.head]
    view = await handle.query(W.view)
    assert view.status is Status.IN_REVIEW and view.deadlines.approval_due is None

    view = await handle.execute_update(
        W.decide_compensation, CompensationDecision(by=crew.supervisor, caller=_sup(crew), approve=True)
    )
    assert view.compensation is not None and view.compensation.status is CompensationStatus.APPROVED
    assert view.compensation.decided_by == crew.supervisor
    assert view.status is Status.AWAITING_FEEDBACK
    view = await handle.execute_update(
        W.feedback, FeedbackAnswer(solved=True, score=5, accepts_compensation=True)
    )
    assert view.status is Status.CLOSED and view.close_reason == "satisfied"
    await handle.result()
    record = await pool.fetchval("SELECT record FROM archive WHERE ticket_no = $1", handle.id)
    assert record["ticket"]["compensation"]["status"] == "accepted"
    assert record["ticket"]["compensation"]["offer"] == {
        "type": "refund",
        "amount": "300",
        "currency": "CNY",
        "reason": "退还维修费",
    }
    types = [e["type"] for e in await events(pool, handle.id)]
    order = ["compensation_requested", "approval_overdue", "compensation_approved", "compensation_accepted"]
    assert [t for t in types if t in order] == order


async def test_a_coupon_within_the_threshold_goes_straight_to_the_customer_who_may_decline_it(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    handle, agent = await _in_progress(ts_env, pool, task_queue, policy, crew)
    coupon = Compensation(type=CompensationType.COUPON, amount=Decimal("10"), reason="补偿优惠券10元")
    view = await handle.execute_update(
        W.resolve, Resolve(by=agent, solution="系统已修复", root_cause=CAUSE, compensation=coupon)
    )
    assert view.status is Status.AWAITING_FEEDBACK
    assert view.compensation is not None and not view.compensation.needs_approval
    # Declined (seed 001: 补偿方案不合理): the ticket is back with its holder, who hears of it.
    view = await handle.execute_update(
        W.feedback, FeedbackAnswer(solved=True, score=4, accepts_compensation=False)
    )
    assert view.status is Status.IN_PROGRESS and view.reopen_count == 1
    assert view.compensation is not None and view.compensation.status is CompensationStatus.DECLINED
    assert await notified(pool, handle.id, "compensation_declined") == [agent]
    await handle.terminate("test done")


async def test_refused_approval_returns_the_ticket_to_its_holder_with_the_reason(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    handle, agent = await _in_progress(ts_env, pool, task_queue, policy, crew)
    before = (await handle.query(W.view)).deadlines.resolve_due
    await handle.execute_update(
        W.resolve, Resolve(by=agent, solution="已更换新设备", root_cause=CAUSE, compensation=REFUND_300)
    )
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(
            W.decide_compensation, CompensationDecision(by=crew.supervisor, caller=_sup(crew), approve=False)
        )
    assert "needs the reason" in str(err.value.cause)
    view = await handle.execute_update(
        W.decide_compensation,
        CompensationDecision(
            by=crew.supervisor, caller=_sup(crew), approve=False, comment="超出维修费,改为延保"
        ),
    )
    assert view.status is Status.IN_PROGRESS and view.resolved_at is None
    assert view.compensation is not None and view.compensation.status is CompensationStatus.REFUSED
    assert view.deadlines.resolve_due == before and view.deadlines.approval_due is None
    assert await notified(pool, handle.id, "compensation_refused") == [agent]
    refused = [e for e in await events(pool, handle.id) if e["type"] == "compensation_refused"]
    assert refused[0]["data"]["comment"] == "超出维修费,改为延保"
    # Resolved again without compensation, it goes to the customer.
    view = await handle.execute_update(
        W.resolve, Resolve(by=agent, solution="提供3个月延保", root_cause=CAUSE)
    )
    assert view.status is Status.AWAITING_FEEDBACK and view.compensation is None
    await handle.terminate("test done")


async def test_a_complaint_has_its_compensation_approved_before_its_solution_is_reviewed(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    handle = await open_ticket(ts_env, pool, task_queue, policy_for(policy, crew), kind=Kind.COMPLAINT)
    view = await until(handle, lambda v: v.assignee is not None)
    agent = view.assignee or ""
    await handle.execute_update(W.acknowledge, Acknowledge(by=agent))
    await handle.execute_update(
        W.resolve, Resolve(by=agent, solution="已更换新设备", root_cause=CAUSE, compensation=REFUND_300)
    )
    review = ReviewDecision(by=crew.supervisor, caller=_sup(crew), approve=True)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(W.review, review)
    assert "awaits approval first" in str(err.value.cause)
    view = await handle.execute_update(
        W.decide_compensation, CompensationDecision(by=crew.supervisor, caller=_sup(crew), approve=True)
    )
    assert view.status is Status.IN_REVIEW  # seed 002: now the solution itself is reviewed
    view = await handle.execute_update(W.review, review)
    assert view.status is Status.AWAITING_FEEDBACK
    await handle.terminate("test done")
