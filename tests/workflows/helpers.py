"""Test helpers: a directory for one test, a ticket row and its workflow started as the API would."""

import asyncio
import json
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.enums import Category, Channel, CustomerType, Kind, Priority, Role
from domain.intake import MaskedCustomer
from domain.policy import Policy
from domain.ticket import WORKFLOW_NAME, TicketInput, TicketView
from store.directory import Member, Team, upsert_member, upsert_team

HISTORIES = Path(__file__).parent / "histories"
T = TypeVar("T")


@dataclass
class Crew:
    """One team of its own per test, so tests never share capacity."""

    team: str
    agents: list[str]
    supervisor: str
    head: str
    director: str


async def make_crew(pool: asyncpg.Pool, agents: int = 2, capacity: int = 10) -> Crew:
    tag = uuid.uuid4().hex[:8]
    team, dept = f"team-{tag}", f"dept-{tag}"
    await upsert_team(pool, Team(id=team, name=f"Team {tag}", department=dept))
    crew = Crew(
        team=team,
        agents=[f"{tag}-a{n}" for n in range(1, agents + 1)],
        supervisor=f"{tag}-sup",
        head=f"{tag}-head",
        director=f"{tag}-dir",
    )
    members = [Member(id=a, name=a, role=Role.AGENT, team_id=team, capacity=capacity) for a in crew.agents]
    members += [
        Member(id=crew.supervisor, name="sup", role=Role.SUPERVISOR, team_id=team),
        Member(id=crew.head, name="head", role=Role.HEAD, department=dept),
        Member(id=crew.director, name="dir", role=Role.DIRECTOR),
    ]
    for m in members:
        await upsert_member(pool, m)
    return crew


def policy_for(base: Policy, crew: Crew, **sections: dict[str, Any]) -> Policy:
    """`base` routed to the crew's team, with whole policy sections overridden (durations as text)."""
    raw = base.model_dump(mode="json")
    raw["routing"] = {"default_team": crew.team, "rules": []}
    # The rule tests state their times in wall-clock hours: 24x7, one reminder at 80%, nobody's quiet hours.
    # Business calendars are tested in test_business_calendar.py, which passes these sections itself.
    raw["targets"] = {**raw["targets"], "calendar": {"default": "24x7"}, "warn_at": [0.8]}
    raw["quiet_hours"] = {}
    for name, values in sections.items():
        raw[name] = {**raw.get(name, {}), **values}
    return Policy.model_validate(raw)


async def open_ticket(
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    task_queue: str,
    policy: Policy,
    *,
    priority: Priority = Priority.MEDIUM,
    kind: Kind = Kind.CONSULTATION,
    category: Category = Category.OTHER,
    opened_at: datetime | None = None,
    tier: str = "standard",
) -> WorkflowHandle[Any, TicketView]:
    """Insert the customer and ticket rows (as the API does at intake) and start the workflow."""
    ticket_no = f"T{uuid.uuid4().hex[:10]}"
    customer_id = await pool.fetchval(
        "INSERT INTO customers (name, phone, email, type, tier, preferred_contact)"
        " VALUES ('李四', '13812345678', 'li@example.com', 'individual', $1, 'email') RETURNING id",
        tier,
    )
    await pool.execute(
        "INSERT INTO tickets (ticket_no, channel, external_id, customer_id, kind, category, priority, status,"
        " description) VALUES ($1, 'email', $1, $2, $3, $4, $5, 'new', 'test ticket')",
        ticket_no,
        customer_id,
        kind.value,
        category.value,
        priority.value,
    )
    opened = opened_at or await env.get_current_time()
    ticket = TicketInput(
        ticket_no=ticket_no,
        channel=Channel.EMAIL,
        kind=kind,
        category=category,
        priority=priority,
        customer=MaskedCustomer(
            customer_id=customer_id,
            display_name="李*",
            phone="138****5678",
            email="l***@example.com",
            type=CustomerType.INDIVIDUAL,
            tier=tier,
            preferred_contact=Channel.EMAIL,
        ),
        opened_at=opened,
        policy=policy,
    )
    client: Client = env.client
    return await client.start_workflow(
        WORKFLOW_NAME, ticket, id=ticket_no, task_queue=task_queue, result_type=TicketView
    )


async def events(pool: asyncpg.Pool, ticket_no: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT seq, at, type, actor, data FROM ticket_events WHERE ticket_no = $1 ORDER BY seq", ticket_no
    )


async def notified(pool: asyncpg.Pool, ticket_no: str, template: str, within: float = 15.0) -> list[str]:
    """Recipients of `template` for the ticket, waiting for the first: the notify activity runs after the
    event it follows, so a test that saw the event may look before the notification is written."""

    async def read() -> list[str]:
        rows = await pool.fetch(
            "SELECT recipient FROM notifications WHERE ticket_no = $1 AND template = $2"
            " ORDER BY created_at, key",
            ticket_no,
            template,
        )
        return [r["recipient"] for r in rows]

    return await eventually(read, within)


async def replay(name: str, text: str, workflow: type) -> None:
    """Replay one recorded history (JSON text) against today's code of `workflow`, in the worker's sandbox."""
    from temporalio.client import WorkflowHistory
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.worker import Replayer

    from worker.worker import sandbox_runner

    replayer = Replayer(
        workflows=[workflow], workflow_runner=sandbox_runner(), data_converter=pydantic_data_converter
    )
    await replayer.replay_workflow(WorkflowHistory.from_json(name, text))


async def save_history(handle: WorkflowHandle[Any, Any], name: str, into: Path = HISTORIES) -> None:
    """Keep the history for a replay test (tests/workflows/test_replay.py, tests/insights/test_replay.py).

    A recorded history is kept as it is, so the replay test goes on proving that today's workflow code
    still replays what earlier code wrote; TICKETFLOW_RECORD_HISTORIES=1 records them anew.
    """
    path = into / f"{name}.json"
    if path.exists() and os.environ.get("TICKETFLOW_RECORD_HISTORIES") != "1":
        return
    history = await handle.fetch_history()
    path.write_text(json.dumps(json.loads(history.to_json()), indent=1))


async def until(
    handle: WorkflowHandle[Any, TicketView], check: Callable[[TicketView], bool], within: float = 15.0
) -> TicketView:
    """Query the view until `check` holds (activities run in real time even when timers skip)."""
    from workflows.ticket import TicketWorkflow

    deadline = asyncio.get_running_loop().time() + within
    while True:
        view = await handle.query(TicketWorkflow.view)
        if check(view):
            return view
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition never held; last view: {view.model_dump_json(indent=1)}")
        await asyncio.sleep(0.05)


async def eventually(read: Callable[[], Awaitable[T]], within: float = 15.0) -> T:
    """Read until the value is truthy: notifications are written by an activity after the event."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await read()
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.05)
