"""Corrective actions as durable workflows (seeds 003, 004): reminded, escalated when overdue, done with
evidence, and their effect checked 30 days later against the 30 days before."""

import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.corrective import CorrectiveInput, CorrectiveStatus, CorrectiveView, Done, workflow_id
from domain.enums import Category
from domain.policy import Policy
from infra import search_attributes as sa
from store import corrective as store
from workflows.corrective import CorrectiveActionWorkflow as C

from .helpers import Crew, eventually, notified


async def _open(
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    tq: str,
    policy: Policy,
    crew: Crew,
    due_in: timedelta,
    product: str,
) -> WorkflowHandle[Any, CorrectiveView]:
    now = await env.get_current_time()
    owner = crew.agents[0]
    change = "仓库出库前加一道包装检查"
    action_id = await store.create(
        pool,
        category=Category.LOGISTICS.value,
        product=product,
        owner=owner,
        team=crew.team,
        change=change,
        due_at=now + due_in,
        opened_by=crew.supervisor,
        opened_at=now,
    )
    inp = CorrectiveInput(
        action_id=action_id,
        owner=owner,
        team=crew.team,
        change=change,
        due=now + due_in,
        category=Category.LOGISTICS,
        product=product,
        opened_by=crew.supervisor,
        opened_at=now,
        policy=policy.corrective,
    )
    return await env.client.start_workflow(C.run, inp, id=workflow_id(action_id), task_queue=tq)


async def _tickets(pool: asyncpg.Pool, product: str, at: datetime, n: int) -> None:
    """`n` logistics tickets about `product`, opened at `at`: what the effect check counts."""
    customer = await pool.fetchval(
        "INSERT INTO customers (name, phone, type, tier)"
        " VALUES ('王五', '13900001111', 'individual', 'standard') RETURNING id"
    )
    for _ in range(n):
        no = f"T{uuid.uuid4().hex[:10]}"
        await pool.execute(
            "INSERT INTO tickets (ticket_no, channel, external_id, customer_id, kind, category, priority,"
            " status, description, product, created_at)"
            " VALUES ($1, 'phone', $1, $2, 'complaint', 'logistics', 'medium', 'closed', '包裹破损', $3, $4)",
            no,
            customer,
            product,
            at,
        )


async def _reached(handle: WorkflowHandle[Any, CorrectiveView], status: CorrectiveStatus) -> CorrectiveView:
    async def read() -> CorrectiveView | None:
        view = await handle.query(C.view)
        return view if view.status is status else None

    view = await eventually(read)
    assert view is not None, f"{handle.id} never reached {status}"
    return view


async def _row_status(pool: asyncpg.Pool, action_id: int) -> str:
    row = await store.get(pool, action_id)
    assert row is not None
    return str(row["status"])


async def test_the_owner_is_reminded_3_and_1_days_before_and_the_head_told_when_it_is_overdue(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    assert policy.corrective.remind_before == (timedelta(days=3), timedelta(days=1))
    handle = await _open(
        ts_env, pool, task_queue, policy, crew, timedelta(days=5), f"P-{uuid.uuid4().hex[:6]}"
    )
    view = await _reached(handle, CorrectiveStatus.OPEN)
    owner = view.owner

    await ts_env.sleep(timedelta(days=2, hours=1))
    assert await notified(pool, handle.id, "corrective_reminder") == [owner]
    await ts_env.sleep(timedelta(days=2))
    view = await handle.query(C.view)
    assert view.reminders == 2 and view.status is CorrectiveStatus.OPEN
    await ts_env.sleep(timedelta(days=1))
    view = await _reached(handle, CorrectiveStatus.OVERDUE)
    assert view.escalated
    assert await notified(pool, handle.id, "corrective_overdue") == [crew.head, owner]
    assert await _row_status(pool, view.action_id) == "overdue"
    described = await handle.describe()
    assert described.typed_search_attributes.get(sa.CORRECTIVE_STATUS) == "overdue"
    assert described.typed_search_attributes.get(sa.CORRECTIVE_OWNER) == owner

    done = await handle.execute_update(C.complete, Done(by=owner, evidence="包装检查已写入出库SOP v2"))
    assert done.status is CorrectiveStatus.DONE and done.evidence == "包装检查已写入出库SOP v2"
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update(C.complete, Done(by=owner, evidence="again"))
    await handle.terminate("test done")


async def test_done_then_30_days_later_a_fallen_rate_is_effective(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    product = f"P-{uuid.uuid4().hex[:6]}"
    handle = await _open(ts_env, pool, task_queue, policy, crew, timedelta(days=10), product)
    now = await ts_env.get_current_time()
    await _tickets(pool, product, now - timedelta(days=20), 12)  # 12 in the 30 days before: 0.4 a day
    await _tickets(pool, product, now + timedelta(days=10), 3)  # 3 in the 30 days after: 0.1 a day
    await _tickets(pool, product, now - timedelta(days=40), 50)  # outside both periods: not counted
    done = await handle.execute_update(C.complete, Done(by=crew.agents[0], evidence="出库SOP v2"))
    assert done.done_at is not None

    final = await handle.result()  # the effect check, 30 days of skipped time later
    assert final.status is CorrectiveStatus.EFFECTIVE
    [check] = final.effects
    assert abs(check.checked_at - (done.done_at + timedelta(days=30))) < timedelta(minutes=1)
    month = timedelta(days=30)
    assert (check.before.start, check.after.end) == (done.done_at - month, done.done_at + month)
    assert (check.tickets_before, check.tickets_after, check.rate_before, check.rate_after) == (
        12,
        3,
        0.4,
        0.1,
    )
    assert check.effective
    assert await notified(pool, handle.id, "corrective_effective") == [crew.agents[0]]
    row = await store.get(pool, final.action_id)
    assert row is not None and row["status"] == "effective" and row["effects"][0]["tickets_after"] == 3


async def test_a_rate_that_did_not_fall_is_not_effective_and_reopens_the_action_telling_the_head(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    product = f"P-{uuid.uuid4().hex[:6]}"
    handle = await _open(ts_env, pool, task_queue, policy, crew, timedelta(days=10), product)
    now = await ts_env.get_current_time()
    await _tickets(pool, product, now - timedelta(days=5), 6)
    await _tickets(pool, product, now + timedelta(days=25), 6)  # as many after as before: no better
    done = await handle.execute_update(C.complete, Done(by=crew.agents[0], evidence="已培训"))
    assert done.done_at is not None

    await ts_env.sleep(timedelta(days=30, hours=1))
    view = await _reached(handle, CorrectiveStatus.REOPENED)
    [check] = view.effects
    assert (check.tickets_before, check.tickets_after, check.rate_before, check.rate_after) == (
        6,
        6,
        0.2,
        0.2,
    )
    assert not check.effective
    assert view.due == check.checked_at + timedelta(days=14)  # [corrective].reopen_for
    assert (view.done_at, view.escalated) == (None, False)
    assert await notified(pool, handle.id, "corrective_not_effective") == [crew.head, crew.agents[0]]
    assert await _row_status(pool, view.action_id) == "reopened"
    again = await handle.execute_update(C.complete, Done(by=crew.agents[0], evidence="改用加厚纸箱"))
    assert again.status is CorrectiveStatus.DONE
    await handle.terminate("test done")
