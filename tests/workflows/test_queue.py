"""Seed 001 (高优先级工单优先分配): a full team queues tickets by priority, then intake time, and a freed
slot assigns the head of the queue at once, not at a polling interval."""

from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.app import create_app
from domain.access import Caller
from domain.actions import Reassign
from domain.enums import ApiRole, Priority, Status
from domain.policy import Policy
from infra.settings import Settings
from store import queue
from store.api_keys import NewApiKey, create_api_key
from workflows.ticket import TicketWorkflow

from .helpers import events, make_crew, open_ticket, policy_for, until


@pytest.fixture
async def admin_api(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings, policy: Policy
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """The HTTP API on the time-skipping server, with an admin's key: the directory changes through it."""
    app = create_app(settings, client=ts_env.client, pool=pool, policy=policy)
    key = (await create_api_key(pool, NewApiKey(role=ApiRole.ADMIN))).key
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ticketflow.test") as client:
            yield client, {"X-API-Key": key}


async def test_member_coming_on_duty_gets_the_urgent_ticket_first_at_once(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    admin_api: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    api, admin = admin_api
    crew = await make_crew(pool, agents=1, capacity=1)
    agent = {"id": crew.agents[0], "name": "a", "role": "agent", "team_id": crew.team, "capacity": 1}
    r = await api.put("/admin/members", json={**agent, "on_duty": False}, headers=admin)
    assert r.status_code == 200
    p = policy_for(policy, crew)
    now = await ts_env.get_current_time()
    tickets = {}
    for n, priority in enumerate((Priority.LOW, Priority.URGENT, Priority.MEDIUM)):
        handle = await open_ticket(
            ts_env, pool, task_queue, p, priority=priority, opened_at=now + timedelta(seconds=n)
        )
        await until(handle, lambda v: v.event_seq >= 2)  # opened, queued
        tickets[priority] = handle
    low, urgent, medium = tickets[Priority.LOW], tickets[Priority.URGENT], tickets[Priority.MEDIUM]
    assert await queue.queued(pool, crew.team) == [urgent.id, medium.id, low.id]

    on_duty_at = await ts_env.get_current_time()
    r = await api.put("/admin/members", json={**agent, "on_duty": True}, headers=admin)
    assert r.status_code == 200
    view = await until(urgent, lambda v: v.assignee is not None)
    assert view.assignee == crew.agents[0] and view.status is Status.ASSIGNED
    assigned = [e for e in await events(pool, urgent.id) if e["type"] == "assigned"]
    # At once: well inside the 30-minute backstop (policy assignment.retry_every).
    assert assigned[0]["at"] - on_duty_at < timedelta(minutes=1)
    assert p.assignment.retry_every == timedelta(minutes=30)
    for waiting in (medium, low):
        assert (await waiting.query(TicketWorkflow.view)).assignee is None
    assert await queue.queued(pool, crew.team) == [medium.id, low.id]

    # The urgent ticket moves to another team: its slot goes to the next in line, medium, at once.
    other = await make_crew(pool, agents=1)
    moved_at = await ts_env.get_current_time()
    sup = Caller(role=ApiRole.SUPERVISOR, member_id=crew.supervisor, team_id=crew.team)
    await urgent.execute_update(
        TicketWorkflow.reassign, Reassign(by=crew.supervisor, caller=sup, to_team=other.team, reason="tech")
    )
    view = await until(medium, lambda v: v.assignee is not None)
    assert view.assignee == crew.agents[0]
    assigned = [e for e in await events(pool, medium.id) if e["type"] == "assigned"]
    assert assigned[0]["at"] - moved_at < timedelta(minutes=1)
    assert (await low.query(TicketWorkflow.view)).assignee is None
    assert await queue.queued(pool, crew.team) == [low.id]
    for handle in tickets.values():
        await handle.terminate("test done")


async def test_a_later_urgent_ticket_goes_ahead_of_an_earlier_low_one_in_the_queue(
    ts_env: WorkflowEnvironment, pool: asyncpg.Pool, worker: Worker, task_queue: str, policy: Policy
) -> None:
    crew = await make_crew(pool, agents=1, capacity=0)
    p = policy_for(policy, crew)
    low = await open_ticket(ts_env, pool, task_queue, p, priority=Priority.LOW)
    await until(low, lambda v: v.event_seq >= 2)
    high = await open_ticket(ts_env, pool, task_queue, p, priority=Priority.HIGH)
    await until(high, lambda v: v.event_seq >= 2)
    assert await queue.queued(pool, crew.team) == [high.id, low.id]
    # Room for one: the head is the one to wake.
    await pool.execute("UPDATE members SET capacity = 1 WHERE id = $1", crew.agents[0])
    assert await queue.heads(pool, crew.team) == [high.id]
    for handle in (low, high):
        await handle.terminate("test done")


async def test_a_queued_ticket_whose_workflow_was_terminated_leaves_the_queue_when_woken(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    admin_api: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    api, admin = admin_api
    crew = await make_crew(pool, agents=1, capacity=0)
    p = policy_for(policy, crew)
    dead = await open_ticket(ts_env, pool, task_queue, p, priority=Priority.URGENT)
    await until(dead, lambda v: v.event_seq >= 2)
    alive = await open_ticket(ts_env, pool, task_queue, p, priority=Priority.LOW)
    await until(alive, lambda v: v.event_seq >= 2)
    await dead.terminate("operator")
    agent = {"id": crew.agents[0], "name": "a", "role": "agent", "team_id": crew.team, "capacity": 1}
    # The dead head leaves the queue and the slot goes on to the live ticket behind it, at once.
    assert (await api.put("/admin/members", json=agent, headers=admin)).status_code == 200
    view = await until(alive, lambda v: v.assignee is not None)
    assert await queue.queued(pool, crew.team) == []
    assert view.assignee == crew.agents[0]
    await alive.terminate("test done")
