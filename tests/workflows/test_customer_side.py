"""The customer's side of a ticket (seeds 001, 003, 004): told at intake, called when unreachable, heard."""

from collections.abc import AsyncIterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.actions import Acknowledge, CallOutcome, CustomerMessage, Resolve, RootCause, WaitForCustomer
from domain.enums import Fishbone, Status
from domain.policy import Policy
from infra.settings import Settings
from tests.activities.channels.servers import WebhookReceiver
from worker.worker import workers
from workflows.ticket import TicketWorkflow

from .helpers import Crew, events, eventually, notified, open_ticket, policy_for, until

W = TicketWorkflow
CAUSE = RootCause(what="快递延误", why="暴雪封路", factor=Fishbone.ENVIRONMENT)


@pytest.fixture
async def unreachable_worker(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings, task_queue: str
) -> AsyncIterator[Worker]:
    """No SMTP, no SMS gateway, no integrator webhook: no message reaches a customer."""
    bare = settings.model_copy(update={"channel_webhooks": {}})
    async with workers(ts_env.client, pool, bare, task_queue=task_queue) as w:
        yield w


async def test_the_received_notice_tells_the_number_and_the_due_times_in_local_time(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
    customer_inbox: WebhookReceiver,
) -> None:
    handle = await open_ticket(ts_env, pool, task_queue, policy_for(policy, crew))
    view = await until(handle, lambda v: v.assignee is not None)
    assert len(await notified(pool, handle.id, "received")) == 1

    def received() -> list[dict[str, str]]:
        return [
            r.json()
            for r in customer_inbox.delivered
            if r.json()["ticket_no"] == handle.id and r.json()["template"] == "received"
        ]

    async def read() -> list[dict[str, str]]:
        return received()

    [notice] = await eventually(read)
    due = view.deadlines.resolve_due
    assert due is not None
    local = due.astimezone(ZoneInfo("Asia/Shanghai"))  # the shipped report zone; these tests run 24x7
    assert f"工单号 {handle.id}" in notice["body"]
    assert f"预计 {local.month}月{local.day}日 {local:%H:%M}前 处理完毕" in notice["body"]
    await handle.terminate("test done")


async def test_a_phone_only_customer_gets_a_call_task_and_the_recorded_call_closes_it_satisfied(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    unreachable_worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    handle = await open_ticket(ts_env, pool, task_queue, policy_for(policy, crew))
    agent = (await until(handle, lambda v: v.assignee is not None)).assignee
    assert agent is not None
    await handle.execute_update(W.acknowledge, Acknowledge(by=agent))
    await handle.execute_update(W.resolve, Resolve(by=agent, solution="已改派顺丰", root_cause=CAUSE))
    view = await until(handle, lambda v: v.deadlines.call_due is not None)
    assert view.resolved_at is not None
    assert view.deadlines.call_due == view.resolved_at + timedelta(hours=1)  # the callback's 1 h
    assert await notified(pool, handle.id, "callback") == [agent]  # the call task, to the holder
    done = await handle.execute_update(
        W.record_call, CallOutcome(by=agent, reached=True, solved=True, score=5, comment="已收到货")
    )
    assert done.status is Status.CLOSED and done.close_reason == "satisfied"
    assert done.feedback is not None and done.feedback.score == 5
    final = await handle.result()
    record = await pool.fetchval("SELECT record FROM archive WHERE ticket_no = $1", handle.id)
    assert {d["clock"]: d["met"] for d in record["deadlines"]}["callback"] is True
    assert [e["type"] for e in await events(pool, handle.id)][-3:] == ["call", "feedback", "closed"]
    assert final.deadlines.call_due is None


async def test_an_unreached_call_is_on_record_and_the_ticket_waits_for_the_second_attempt(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    unreachable_worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    handle = await open_ticket(ts_env, pool, task_queue, policy_for(policy, crew))
    agent = (await until(handle, lambda v: v.assignee is not None)).assignee
    assert agent is not None
    await handle.execute_update(W.acknowledge, Acknowledge(by=agent))
    await handle.execute_update(W.resolve, Resolve(by=agent, solution="已改派", root_cause=CAUSE))
    await until(handle, lambda v: v.deadlines.call_due is not None)
    view = await handle.execute_update(
        W.record_call, CallOutcome(by=agent, reached=False, comment="无人接听")
    )
    assert view.status is Status.AWAITING_FEEDBACK and view.deadlines.call_due is None
    call = [e for e in await events(pool, handle.id) if e["type"] == "call"]
    assert call[0]["data"]["reached"] is False
    await handle.terminate("test done")


async def test_a_customer_message_resumes_a_ticket_waiting_for_them_and_tells_the_holder(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    handle = await open_ticket(ts_env, pool, task_queue, policy_for(policy, crew))
    agent = (await until(handle, lambda v: v.assignee is not None)).assignee
    assert agent is not None
    await handle.execute_update(W.acknowledge, Acknowledge(by=agent))
    await handle.execute_update(W.wait_for_customer, WaitForCustomer(by=agent, reason="请提供运单号"))
    message = CustomerMessage(id=1, text="运单号 SF123456", via="link")
    await handle.signal("customer_message", message)
    await handle.signal("customer_message", message)  # delivered twice: taken in once
    view = await until(handle, lambda v: v.status is Status.IN_PROGRESS)
    assert view.deadlines.resolve_due is not None
    types = [e["type"] for e in await events(pool, handle.id)]
    assert types.count("customer_message") == 1 and types[-2:] == ["customer_message", "resumed"]
    assert await notified(pool, handle.id, "customer_replied") == [agent]
    await handle.terminate("test done")
