"""Breaches climb the escalation ladder: supervisor, then department head, then director."""

from datetime import datetime, timedelta

import asyncpg
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ticketflow.domain.actions import Acknowledge
from ticketflow.domain.enums import Priority, Status
from ticketflow.domain.policy import Policy
from ticketflow.workflows.ticket import TicketWorkflow

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
