"""Breaches climb the escalation ladder: supervisor, then department head, then director."""

from datetime import datetime, timedelta

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.actions import Acknowledge, ProgressNote
from domain.enums import Priority, Status
from domain.policy import Policy
from workflows.ticket import TicketWorkflow

from .helpers import Crew, events, notified, open_ticket, policy_for, save_history, until


async def test_high_priority_breaching_4h_first_response_escalates_supervisor_4h_head_8h_director_12h(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    handle = await open_ticket(ts_env, pool, task_queue, policy_for(policy, crew), priority=Priority.HIGH)
    view = await until(handle, lambda v: v.assignee is not None)
    opened = view.opened_at
    assert view.deadlines.response_due == opened + timedelta(hours=4)
    assigned = view.assignee
    assert assigned in crew.agents
    view = await handle.execute_update(TicketWorkflow.acknowledge, Acknowledge(by=assigned))
    assert view.status is Status.IN_PROGRESS

    await ts_env.sleep(timedelta(hours=13))

    view = await handle.query(TicketWorkflow.view)
    assert view.escalation_level == 3
    assert view.sla_breached
    rows = await events(pool, handle.id)
    escalated = [r for r in rows if r["type"] == "escalated"]
    assert [(datetime.fromisoformat(r["data"]["due"]), r["data"]["level"]) for r in escalated] == [
        (opened + timedelta(hours=4), 1),
        (opened + timedelta(hours=8), 2),
        (opened + timedelta(hours=12), 3),
    ]
    assert all(
        abs(r["at"] - datetime.fromisoformat(r["data"]["due"])) < timedelta(minutes=1) for r in escalated
    )
    assert await notified(pool, handle.id, "escalated") == [crew.supervisor, crew.head, crew.director]
    await save_history(handle, "high_priority_escalation_ladder")
    await handle.terminate("test done")


async def test_urgent_ticket_owes_a_progress_update_every_12h_a_missed_one_escalates_to_the_supervisor(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    """Seed 002: P1 progress at least every 12 h. The first note answers (2 h target); the next is owed
    12 h after it; missing it breaches and climbs the ladder from that due time."""
    handle = await open_ticket(ts_env, pool, task_queue, policy_for(policy, crew), priority=Priority.URGENT)
    view = await until(handle, lambda v: v.assignee is not None)
    await handle.execute_update(TicketWorkflow.acknowledge, Acknowledge(by=view.assignee))
    noted = await handle.execute_update(TicketWorkflow.progress, ProgressNote(by="x", note="已联系技术部"))
    assert noted.first_response_at is not None
    assert noted.deadlines.update_due == noted.first_response_at + timedelta(hours=12)

    await ts_env.sleep(timedelta(hours=12, minutes=30))

    rows = await events(pool, handle.id)
    breached = [r["data"] for r in rows if r["type"] == "breached"]
    assert breached[0] == {"target": "update", "due": noted.deadlines.update_due.isoformat()}
    escalated = [r for r in rows if r["type"] == "escalated"]
    assert [r["data"]["level"] for r in escalated] == [1]
    assert escalated[0]["data"]["due"] == noted.deadlines.update_due.isoformat()
    assert await notified(pool, handle.id, "escalated") == [crew.supervisor]
    view = await handle.query(TicketWorkflow.view)
    assert view.sla_breached and view.escalation_level == 1
    await save_history(handle, "urgent_missed_progress_update_escalates")
    await handle.terminate("test done")


async def test_medium_ticket_unresolved_at_72h_breaches_resolution_and_escalates_from_that_time(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    """Progress kept up every 20 h (within the 24 h cadence), yet no solution by 72 h: resolution breach."""
    handle = await open_ticket(ts_env, pool, task_queue, policy_for(policy, crew), priority=Priority.MEDIUM)
    view = await until(handle, lambda v: v.assignee is not None)
    resolve_due = view.opened_at + timedelta(hours=72)
    assert view.deadlines.resolve_due == resolve_due
    await handle.execute_update(TicketWorkflow.acknowledge, Acknowledge(by=view.assignee))
    for hour in range(4):
        await handle.execute_update(TicketWorkflow.progress, ProgressNote(by="x", note=f"排查中 {hour}"))
        await ts_env.sleep(timedelta(hours=20))
    # now opened + ~80 h: past 72 h, and no update was ever late
    rows = await events(pool, handle.id)
    assert [r["data"] for r in rows if r["type"] == "breached"] == [
        {"target": "resolve", "due": resolve_due.isoformat()}
    ]
    escalated = [r["data"] for r in rows if r["type"] == "escalated"]
    assert escalated[0]["level"] == 1 and escalated[0]["due"] == resolve_due.isoformat()
    await save_history(handle, "medium_resolution_breach_escalates")
    await handle.terminate("test done")


async def test_low_priority_first_response_is_due_in_48h_and_its_breach_escalates_from_then(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    """Seed 000: 低优先级48小时内响应. Silent a minute before 48 h: nothing; a minute after: breached."""
    handle = await open_ticket(ts_env, pool, task_queue, policy_for(policy, crew), priority=Priority.LOW)
    view = await until(handle, lambda v: v.assignee is not None)
    response_due = view.opened_at + timedelta(hours=48)
    assert view.deadlines.response_due == response_due
    assert view.deadlines.resolve_due == view.opened_at + timedelta(hours=120)
    await handle.execute_update(TicketWorkflow.acknowledge, Acknowledge(by=view.assignee))

    await ts_env.sleep(response_due - await ts_env.get_current_time() - timedelta(minutes=1))
    assert [r for r in await events(pool, handle.id) if r["type"] == "breached"] == []

    await ts_env.sleep(timedelta(minutes=2))
    rows = await events(pool, handle.id)
    assert [r["data"] for r in rows if r["type"] == "breached"] == [
        {"target": "response", "due": response_due.isoformat()}
    ]
    escalated = [r["data"] for r in rows if r["type"] == "escalated"]
    assert [(e["level"], e["due"]) for e in escalated] == [(1, response_due.isoformat())]
    await handle.terminate("test done")


@pytest.mark.parametrize("priority", [Priority.HIGH, Priority.MEDIUM, Priority.LOW], ids=lambda p: p.value)
async def test_a_progress_update_is_owed_24h_after_the_last_one_for_every_priority_but_urgent(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
    priority: Priority,
) -> None:
    """Seeds 000 and 002: 每24小时更新处理进展. Quiet a minute less than 24 h after a note: nothing owed;
    a minute more: the update is late, breached and escalated from its due time."""
    handle = await open_ticket(ts_env, pool, task_queue, policy_for(policy, crew), priority=priority)
    view = await until(handle, lambda v: v.assignee is not None)
    await handle.execute_update(TicketWorkflow.acknowledge, Acknowledge(by=view.assignee))
    noted = await handle.execute_update(TicketWorkflow.progress, ProgressNote(by="x", note="已联系物流部"))
    assert noted.first_response_at is not None
    update_due = noted.first_response_at + timedelta(hours=24)
    assert noted.deadlines.update_due == update_due

    await ts_env.sleep(update_due - await ts_env.get_current_time() - timedelta(minutes=1))
    assert [r for r in await events(pool, handle.id) if r["type"] == "breached"] == []

    await ts_env.sleep(timedelta(minutes=2))
    rows = await events(pool, handle.id)
    assert [r["data"] for r in rows if r["type"] == "breached"] == [
        {"target": "update", "due": update_due.isoformat()}
    ]
    escalated = [r["data"] for r in rows if r["type"] == "escalated"]
    assert [(e["level"], e["due"]) for e in escalated] == [(1, update_due.isoformat())]
    await handle.terminate("test done")
