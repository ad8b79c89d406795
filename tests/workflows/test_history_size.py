"""What a ticket's life costs the Temporal server: on healthy channels no activity task at all (a
notification's first try rides in its step's local activity; only a failed one goes on to the retried
activity), every Postgres write a local activity, and a step one write and one upsert of what changed."""

import json
from collections import Counter
from typing import Any

import asyncpg
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.actions import Acknowledge, FeedbackAnswer, ProgressNote, Resolve, RootCause
from domain.enums import Fishbone, Role
from domain.policy import Policy
from infra.settings import Settings
from store.directory import Member, upsert_member
from tests.activities.channels.servers import webhook_receiver
from workflows.ticket import TicketWorkflow

from .helpers import Crew, events, eventually, open_ticket, policy_for, until

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


async def test_a_satisfied_ticket_runs_no_activity_task_six_workflow_tasks_and_a_step_is_one_write(
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
    # Assigned, progress (customer-visible) and callback notices delivered at their first try, inside the
    # workflow task of their step: intake and the four updates one workflow task each, and the close.
    assert types[EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED] == 0
    assert types[EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED] <= 6
    assert sum(types.values()) <= 47
    # No patch marker and no change-version upsert: one upsert a step at most.
    assert types[EventType.EVENT_TYPE_MARKER_RECORDED] == sum((await _local_activities(handle)).values())
    assert types[EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES] <= 5
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
    # Eight events and three notices in five writes: intake (opened, assigned and the assignee's notice),
    # acknowledge, progress (and its notice to the customer), resolve (resolved, callback and the
    # customer's call), then feedback and closed with the archive, which also gives the capacity back.
    assert await _local_activities(handle) == Counter(
        {"record_step_and_try_notices": 4, "assign": 1, "archive": 1}
    )


async def test_a_notice_whose_webhook_fails_its_first_try_is_delivered_once_by_the_retried_activity(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
    settings: Settings,
) -> None:
    async with webhook_receiver(settings.secret_key.get_secret_value()) as hook:
        # The first try meets a 500; the retried activity a 500 more, then the receiver is back.
        hook.script([500, 500])
        for agent in crew.agents:
            await upsert_member(
                pool, Member(id=agent, name=agent, role=Role.AGENT, team_id=crew.team, webhook_url=hook.url)
            )
        handle = await open_ticket(ts_env, pool, task_queue, policy_for(policy, crew))
        view = await until(handle, lambda v: v.assignee is not None)
        key = f"{view.ticket_no}:2:member:{view.assignee}:{view.assignee}"

        async def delivered() -> bool:
            return bool(
                await pool.fetchval("SELECT delivered_at IS NOT NULL FROM notifications WHERE key = $1", key)
            )

        await eventually(delivered)
        assert [r.status for r in hook.requests] == [500, 500, 200]
        scheduled = [
            e.activity_task_scheduled_event_attributes.activity_type.name
            async for e in handle.fetch_history_events()
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        ]
        assert scheduled == ["notify"]
        # The first try (the first 500) ran inside the intake's one write.
        assert await _local_activities(handle) == Counter({"assign": 1, "record_step_and_try_notices": 1})
        await handle.terminate("test over")
