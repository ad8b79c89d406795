"""What a ticket's life costs the Temporal server: its notifications are its only activity tasks (a slow
webhook must not hold a workflow-task slot), every Postgres write is a local activity, and a step is one
timeline write and one upsert of what changed (bench/RESULTS.md)."""

import json
from collections import Counter
from typing import Any

import asyncpg
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ticketflow.domain.actions import Acknowledge, FeedbackAnswer, ProgressNote, Resolve, RootCause
from ticketflow.domain.enums import Fishbone
from ticketflow.domain.policy import Policy
from ticketflow.workflows.ticket import TicketWorkflow

from .helpers import Crew, events, open_ticket, policy_for, until

W = TicketWorkflow
CAUSE = RootCause(what="短信未发送", why="网关超时", factor=Fishbone.MACHINE)


async def _local_activities(handle: WorkflowHandle[Any, Any]) -> Counter[str]:
    """Local activities the history records, by type."""
    kinds: Counter[str] = Counter()
    async for e in handle.fetch_history_events():
        m = e.marker_recorded_event_attributes
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED and m.marker_name == "core_local_activity":
            kinds[json.loads(m.details["data"].payloads[0].data)["activity_type"]] += 1
    return kinds


async def test_a_satisfied_tickets_only_activity_tasks_are_its_three_notices_and_a_step_is_one_write(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    handle = await open_ticket(ts_env, pool, task_queue, policy_for(policy, crew))
    view = await until(handle, lambda v: v.assignee is not None)
    agent = view.assignee
    assert agent is not None
    await handle.execute_update(W.acknowledge, Acknowledge(by=agent))
    await handle.execute_update(W.progress, ProgressNote(by=agent, note="正在排查", customer_visible=True))
    await handle.execute_update(W.resolve, Resolve(by=agent, solution="已重发短信", root_cause=CAUSE))
    await handle.execute_update(W.feedback, FeedbackAnswer(solved=True, score=5))
    await handle.result()

    types: Counter[EventType.ValueType] = Counter()
    async for e in handle.fetch_history_events():
        types[e.event_type] += 1
    # Assigned, progress (customer-visible) and callback: each an activity task and the workflow task
    # its completion wakes; intake and the four updates one workflow task each.
    assert types[EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED] == 3
    assert types[EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED] <= 10
    # One patch marker's change-version upsert, then one a step at most.
    assert types[EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES] <= 6
    timeline = [e["type"] for e in await events(pool, handle.id)]
    assert timeline == [
        "opened",
        "assigned",
        "acknowledged",
        "progress",
        "resolved",
        "callback",
        "feedback",
        "closed",
    ]
    # Eight events in five writes: intake (opened, assigned), acknowledge, progress, resolve (resolved,
    # callback), feedback (feedback, closed); then assign, archive and release.
    assert await _local_activities(handle) == Counter(
        {"record_events": 5, "assign": 1, "archive": 1, "release": 1}
    )
