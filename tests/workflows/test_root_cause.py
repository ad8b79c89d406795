"""Seed 003: the cause traced (5-Why, fishbone factors, evidence, verified), told, and disputable."""

import asyncpg
import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.actions import Acknowledge, Evidence, FeedbackAnswer, Resolve, RootCause
from domain.enums import EvidenceKind, Fishbone, Kind, Priority, Status
from domain.policy import Policy
from tests.activities.channels.servers import WebhookReceiver
from workflows.ticket import TicketWorkflow as W

from .helpers import Crew, events, eventually, notified, open_ticket, policy_for, until

# Seed 003's own example: the app cannot pay; five users in two hours; the logs show the gateway timing out.
TRACED = RootCause(
    what="APP无法支付",
    why="第三方支付接口超时",
    factor=Fishbone.MACHINE,
    factors=[Fishbone.METHOD, Fishbone.MEASUREMENT, Fishbone.MACHINE],
    whys=["为何无法支付? 支付请求失败", "为何失败? 支付接口超时", "为何超时? 第三方支付系统瞬时故障"],
    evidence=[
        Evidence(kind=EvidenceKind.DATA_COMPARISON, detail="近2小时内有5名用户反馈同一问题"),
        Evidence(kind=EvidenceKind.LOGS, detail="后台日志: 支付接口超时"),
    ],
    common=True,
    verified=True,
    verified_by="someone-else",
)


async def _working(ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tq: str, policy: Policy, kind: Kind):  # type: ignore[no-untyped-def]
    handle = await open_ticket(ts_env, pool, tq, policy, kind=kind, priority=Priority.MEDIUM)
    agent = (await until(handle, lambda v: v.assignee is not None)).assignee
    assert agent is not None
    await handle.execute_update(W.acknowledge, Acknowledge(by=agent))
    return handle, agent


async def test_complaints_and_faults_need_their_cause_consultations_do_not(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    rules = policy_for(policy, crew)
    assert rules.root_cause.required_for == (Kind.COMPLAINT, Kind.FAULT_REPORT)
    for kind in (Kind.COMPLAINT, Kind.FAULT_REPORT):
        handle, agent = await _working(ts_env, pool, task_queue, rules, kind)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(W.resolve, Resolve(by=agent, solution="已处理"))
        assert isinstance(refused.value.cause, ApplicationError)
        assert refused.value.cause.message.startswith(f"a {kind.value} is resolved with its root cause")
        assert (await handle.query(W.view)).status is Status.IN_PROGRESS
        await handle.terminate("test done")
    handle, agent = await _working(ts_env, pool, task_queue, rules, Kind.CONSULTATION)
    view = await handle.execute_update(W.resolve, Resolve(by=agent, solution="已告知操作步骤"))
    assert view.status is Status.AWAITING_FEEDBACK and view.root_cause is None
    await handle.terminate("test done")


async def test_the_verified_cause_is_told_to_the_customer_and_a_dispute_reopens_the_ticket_marked(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
    customer_inbox: WebhookReceiver,
) -> None:
    handle, agent = await _working(ts_env, pool, task_queue, policy_for(policy, crew), Kind.FAULT_REPORT)
    resolve = Resolve(by=agent, solution="支付系统已恢复", root_cause=TRACED)
    view = await handle.execute_update(W.resolve, resolve)
    cause = view.root_cause
    assert cause is not None
    # The verifier is the one who resolved it, whoever the caller named; the main factor first, once.
    assert (cause.verified, cause.verified_by) == (True, agent)
    assert cause.factors == [Fishbone.MACHINE, Fishbone.METHOD, Fishbone.MEASUREMENT]
    assert len(cause.whys) == 3 and [e.kind for e in cause.evidence] == ["data_comparison", "logs"]
    resolved = [r for r in await events(pool, handle.id) if r["type"] == "resolved"]
    assert resolved[0]["data"]["root_cause"]["verified_by"] == agent

    async def told() -> list[dict[str, str]]:
        return [
            r.json()
            for r in customer_inbox.delivered
            if r.json()["ticket_no"] == handle.id and r.json()["template"] == "callback"
        ]

    [callback] = await eventually(told)
    assert "原因:APP无法支付: 第三方支付接口超时" in callback["body"]

    # Satisfied with the service, yet not with the cause: the dispute wins, the ticket reopens marked.
    answer = FeedbackAnswer(solved=True, score=4, comment="不是支付问题, 是银行卡被限额", disputes_cause=True)
    view = await handle.execute_update(W.feedback, answer)
    assert view.status is Status.IN_PROGRESS and view.cause_disputed
    assert view.priority is Priority.MEDIUM and view.reopen_count == 1
    assert view.root_cause is not None
    assert (view.root_cause.verified, view.root_cause.verified_by) == (False, None)
    assert view.resolved_at is None and view.deadlines.resolve_due is not None
    reopened = [r for r in await events(pool, handle.id) if r["type"] == "reopened"]
    assert reopened[0]["data"]["cause_disputed"] is True
    assert sorted(await notified(pool, handle.id, "cause_disputed")) == sorted([agent, crew.supervisor])

    # Traced again and agreed: it closes, still marked as once disputed.
    again = RootCause.model_validate(
        {**TRACED.model_dump(), "what": "银行卡单日限额", "why": "发卡行风控", "factor": "environment"}
    )
    assert again.factors == [Fishbone.ENVIRONMENT, Fishbone.MACHINE, Fishbone.METHOD, Fishbone.MEASUREMENT]
    await handle.execute_update(W.resolve, Resolve(by=agent, solution="已协助提额", root_cause=again))
    view = await handle.execute_update(W.feedback, FeedbackAnswer(solved=True, score=5))
    assert view.status is Status.CLOSED and view.cause_disputed
    record = await pool.fetchval("SELECT record FROM archive WHERE ticket_no = $1", handle.id)
    assert record["ticket"]["cause_disputed"] is True
    assert record["root_cause"]["factors"] == ["environment", "machine", "method", "measurement"]
