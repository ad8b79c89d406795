"""Seeds 002, 004 (协同部门需24h内反馈): the holder asks another team; the request is a child workflow
assigned inside that team, reminded at 80% of 24 h, escalated to that team's supervisor when late, and its
answer lands on the ticket's timeline and tells the holder."""

from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.access import Caller
from domain.actions import Acknowledge
from domain.collaboration import AskCollaboration, CollaborationAnswer, CollaborationStatus, CollaborationView
from domain.enums import ApiRole
from domain.policy import Policy
from domain.ticket import TicketView
from store import queue
from workflows.collaboration import CollaborationWorkflow
from workflows.ticket import TicketWorkflow

from .helpers import Crew, events, make_crew, notified, open_ticket, policy_for, until

W = TicketWorkflow
QUESTION = "请物流部核实该订单的配送记录"


async def _asked(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, tq: str, policy: Policy, crew: Crew
) -> tuple[WorkflowHandle[Any, TicketView], Crew, CollaborationView, str]:
    handle = await open_ticket(ts_env, pool, tq, policy_for(policy, crew))
    view = await until(handle, lambda v: v.assignee is not None)
    assert view.assignee is not None
    await handle.execute_update(W.acknowledge, Acknowledge(by=view.assignee))
    logistics = await make_crew(pool, agents=1)
    holder = Caller(role=ApiRole.AGENT, member_id=view.assignee, team_id=crew.team)
    view = await handle.execute_update(
        W.ask_collaboration,
        AskCollaboration(by=view.assignee, caller=holder, team=logistics.team, question=QUESTION),
    )
    [request] = view.collaborations
    assert view.collaborators == [logistics.team]  # the team now reads the ticket
    return handle, logistics, request, view.assignee or ""


def _answer(team: Crew, text: str) -> CollaborationAnswer:
    member = team.agents[0]
    return CollaborationAnswer(
        by=member, caller=Caller(role=ApiRole.AGENT, member_id=member, team_id=team.team), text=text
    )


async def test_a_request_answered_on_time_lands_on_the_timeline_and_tells_the_holder(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    handle, logistics, request, holder = await _asked(ts_env, pool, task_queue, policy, crew)
    assert request.due == request.asked_at + timedelta(hours=24)
    assert policy.collaboration.answer_within == timedelta(hours=24)
    assert await notified(pool, handle.id, "collaboration_requested") == [logistics.agents[0]]
    assert await pool.fetchval("SELECT open_count FROM members WHERE id = $1", logistics.agents[0]) == 1
    child = ts_env.client.get_workflow_handle(request.id, result_type=CollaborationView)

    stranger = CollaborationAnswer(
        by=crew.agents[0],
        caller=Caller(role=ApiRole.AGENT, member_id=crew.agents[0], team_id=crew.team),
        text="x",
    )
    with pytest.raises(WorkflowUpdateFailedError):
        await child.execute_update(CollaborationWorkflow.answer, stranger)

    await ts_env.sleep(timedelta(hours=2))
    answered = await child.execute_update(
        CollaborationWorkflow.answer, _answer(logistics, "已核实:包裹12月3日签收")
    )
    assert answered.on_time is True and answered.status is CollaborationStatus.ANSWERED
    done = await child.result()
    assert done.answered_by == logistics.agents[0] and not done.escalated
    view = await until(handle, lambda v: v.collaborations[0].status is CollaborationStatus.ANSWERED)
    assert view.collaborations[0].answer == "已核实:包裹12月3日签收"
    rows = [e for e in await events(pool, handle.id) if e["type"].startswith("collaboration_")]
    assert [e["type"] for e in rows] == ["collaboration_requested", "collaboration_answered"]
    assert rows[1]["data"]["on_time"] is True and rows[1]["actor"] == logistics.agents[0]
    assert await notified(pool, handle.id, "collaboration_answered") == [holder]
    assert await pool.fetchval("SELECT open_count FROM members WHERE id = $1", logistics.agents[0]) == 0
    await handle.terminate("test done")


async def test_a_late_request_is_reminded_then_escalated_to_its_teams_supervisor(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    handle, logistics, request, _ = await _asked(ts_env, pool, task_queue, policy, crew)
    child = ts_env.client.get_workflow_handle(request.id, result_type=CollaborationView)
    await ts_env.sleep(timedelta(hours=19, minutes=13))  # 80% of 24 h is 19 h 12 min
    assert await notified(pool, handle.id, "collaboration_reminder") == [logistics.agents[0]]
    assert await notified(pool, handle.id, "collaboration_overdue", within=0.5) == []
    await ts_env.sleep(timedelta(hours=4, minutes=48))
    assert await notified(pool, handle.id, "collaboration_overdue") == [logistics.supervisor]
    view = await until(handle, lambda v: v.collaborations[0].escalated)
    assert view.collaborations[0].status is CollaborationStatus.OPEN

    answered = await child.execute_update(CollaborationWorkflow.answer, _answer(logistics, "配送延误,已催促"))
    assert answered.on_time is False
    await child.result()
    await until(handle, lambda v: v.collaborations[0].status is CollaborationStatus.ANSWERED)
    types = [e["type"] for e in await events(pool, handle.id) if e["type"].startswith("collaboration_")]
    assert types == ["collaboration_requested", "collaboration_overdue", "collaboration_answered"]
    await handle.terminate("test done")


async def test_a_request_to_a_full_team_waits_in_its_queue_and_leaves_it_when_answered(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    handle = await open_ticket(ts_env, pool, task_queue, policy_for(policy, crew))
    view = await until(handle, lambda v: v.assignee is not None)
    full = await make_crew(pool, agents=1, capacity=0)
    holder = Caller(role=ApiRole.AGENT, member_id=view.assignee, team_id=crew.team)
    view = await handle.execute_update(
        W.ask_collaboration,
        AskCollaboration(by=view.assignee or "", caller=holder, team=full.team, question=QUESTION),
    )
    rid = view.collaborations[0].id
    assert await notified(pool, handle.id, "collaboration_requested") == [full.supervisor]
    assert await queue.queued(pool, full.team) == [rid]
    sup = CollaborationAnswer(
        by=full.supervisor,
        caller=Caller(role=ApiRole.SUPERVISOR, member_id=full.supervisor, team_id=full.team),
        text="已安排专人跟进",
    )
    child = ts_env.client.get_workflow_handle(rid, result_type=CollaborationView)
    await child.execute_update(CollaborationWorkflow.answer, sup)
    assert (await child.result()).assignee is None
    assert await queue.queued(pool, full.team) == []
    await handle.terminate("test done")


async def test_routing_asks_its_collaborating_teams_at_intake_when_the_policy_says_so(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    finance = await make_crew(pool, agents=1)
    rules = [{"team": crew.team, "collaborators": [finance.team]}]
    p = policy_for(policy, crew, routing={"rules": rules}, collaboration={"ask_at_intake": True})
    assert policy.collaboration.ask_at_intake is False  # by default collaborators only gain read access
    handle = await open_ticket(ts_env, pool, task_queue, p)
    view = await until(handle, lambda v: bool(v.collaborations))
    [request] = view.collaborations
    assert (request.team, request.asked_by) == (finance.team, "routing")
    assert request.question == policy.collaboration.intake_question
    assert await notified(pool, handle.id, "collaboration_requested") == [finance.agents[0]]
    await handle.terminate("test done")
