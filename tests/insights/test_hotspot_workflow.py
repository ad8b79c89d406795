"""HotspotWorkflow against Temporal's time-skipping server and a real Postgres: the seed-003 threshold."""

import asyncio
import json
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from api.hotspot_signals import HotspotCounter, incident_closed, workflow_id
from domain import hotspot_window
from domain.enums import Category
from domain.hotspot_window import HotspotInput, HotspotState, TicketOpened, counter_queue
from domain.incident import IncidentStatus
from infra.settings import Settings
from store import incidents
from worker.worker import build_counter_worker
from workflows.hotspot_counter import TICKETS_PER_RUN

from ..workflows.helpers import save_history
from .helpers import eventually, insight_worker

HISTORIES = Path(__file__).parent / "histories"

T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)


def _ticket(
    product: str, n: int, minutes: float, team: str | None = "hs-team", base: datetime = T0
) -> TicketOpened:
    return TicketOpened(
        ticket_no=f"HS-{product}-{n}",
        category=Category.PRODUCT_QUALITY,
        product=product,
        opened_at=base + timedelta(minutes=minutes),
        team=team,
    )


async def count_ticket(client: Client, task_queue: str, ticket: TicketOpened, *, id_prefix: str) -> None:
    """One intake's count, sent on its own (no spacing): how each ticket reaches the counter here."""
    await HotspotCounter(client, task_queue, id_prefix=id_prefix, spacing=0).count(ticket)


def _write_of(e: HistoryEvent) -> tuple[str, str] | None:
    """("local", type) for a local activity's marker, ("task", type) for a scheduled activity task."""
    if e.HasField("activity_task_scheduled_event_attributes"):
        return "task", e.activity_task_scheduled_event_attributes.activity_type.name
    m = e.marker_recorded_event_attributes
    if e.HasField("marker_recorded_event_attributes") and m.marker_name == "core_local_activity":
        return "local", json.loads(m.details["data"].payloads[0].data)["activity_type"]
    return None


async def _incidents_for(pool: asyncpg.Pool, product: str) -> list[int]:
    rows = await pool.fetch("SELECT id FROM incidents WHERE product = $1 ORDER BY id", product)
    return [r["id"] for r in rows]


async def _counted(env: WorkflowEnvironment, prefix: str) -> int:
    """Tickets the workflow holds in windows or has linked (query after its queue drained); -1 while a
    query meets the run continuing as new (it times out on the closing run: `eventually` asks again).
    Each ask gives up after 3 s, so a loaded machine still asks several times within `eventually`."""
    try:
        state = await env.client.get_workflow_handle(workflow_id(Category.PRODUCT_QUALITY, prefix)).query(
            "state", result_type=HotspotState, rpc_timeout=timedelta(seconds=3)
        )
    except RPCError as e:
        # The server's deadline, or our own 3 s (the client reports that one as CANCELLED).
        if e.status not in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
            raise
        return -1
    return len(state.seen)


async def _seed_team(pool: asyncpg.Pool) -> None:
    await pool.execute(
        "INSERT INTO teams (id, name, department) VALUES ('hs-team', 'Quality', 'service')"
        " ON CONFLICT DO NOTHING"
    )
    await pool.execute(
        "INSERT INTO members (id, name, role, team_id) VALUES ('hs-sup', 'Sup', 'supervisor', 'hs-team'),"
        " ('hs-agent', 'Agent', 'agent', 'hs-team') ON CONFLICT DO NOTHING"
    )


async def test_four_tickets_open_nothing_and_the_fifth_within_two_hours_opens_one_incident(
    time_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings
) -> None:
    await _seed_team(pool)
    prefix = f"hs-{uuid.uuid4().hex[:8]}"
    product = uuid.uuid4().hex[:8]
    async with insight_worker(time_env.client, pool, settings):
        for i in range(4):
            await count_ticket(
                time_env.client, settings.task_queue, _ticket(product, i, i * 25), id_prefix=prefix
            )
        assert await eventually(lambda: _counted(time_env, prefix), lambda n: n == 4) == 4
        assert await _incidents_for(pool, product) == []

        await count_ticket(time_env.client, settings.task_queue, _ticket(product, 4, 110), id_prefix=prefix)
        ids = await eventually(lambda: _incidents_for(pool, product), bool)
        assert len(ids) == 1
        found = await eventually(
            lambda: incidents.get(pool, ids[0]), lambda i: i is not None and len(i.ticket_nos) == 5
        )
        assert found is not None
        assert found.ticket_nos == sorted(f"HS-{product}-{i}" for i in range(5))
        assert (found.category, found.product, found.team, found.status) == (
            Category.PRODUCT_QUALITY,
            product,
            "hs-team",
            IncidentStatus.OPEN,
        )
        # The owning team and its supervisor are told.
        told = await eventually(
            lambda: pool.fetch(
                "SELECT recipient FROM notifications WHERE key LIKE $1 ORDER BY recipient",
                f"incident-{ids[0]}:%",
            ),
            lambda rows: len(rows) == 2,
        )
        assert [r["recipient"] for r in told] == ["hs-agent", "hs-sup"]

        # A later ticket of the same product joins the open incident; none is opened twice.
        await count_ticket(time_env.client, settings.task_queue, _ticket(product, 5, 130), id_prefix=prefix)
        grown = await eventually(
            lambda: incidents.get(pool, ids[0]), lambda i: i is not None and len(i.ticket_nos) == 6
        )
        assert grown is not None and len(grown.ticket_nos) == 6
        assert await _incidents_for(pool, product) == ids
        assert [i.id for i in await incidents.of_ticket(pool, f"HS-{product}-5")] == ids

        # Closed by a supervisor: the next ticket counts afresh, and is not linked.
        await incidents.close(pool, ids[0], "hs-sup", "fixed the batch", T0 + timedelta(hours=3))
        await incident_closed(time_env.client, Category.PRODUCT_QUALITY, ids[0], id_prefix=prefix)
        await count_ticket(time_env.client, settings.task_queue, _ticket(product, 6, 140), id_prefix=prefix)
        assert await eventually(lambda: _counted(time_env, prefix), lambda n: n == 7) == 7
        after = await incidents.get(pool, ids[0])
        assert after is not None and len(after.ticket_nos) == 6 and after.status is IncidentStatus.CLOSED
        counter = time_env.client.get_workflow_handle(workflow_id(Category.PRODUCT_QUALITY, prefix))
        await save_history(counter, "hotspot_crossing_incident_link_close_recount", into=HISTORIES)


async def test_the_counter_runs_on_a_queue_of_its_own_so_no_ticket_backlog_is_ahead_of_it(
    time_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings
) -> None:
    """Nothing polls the ticket queue here (as when a flood's ticket tasks fill it): the count still lands."""
    prefix = f"hs-{uuid.uuid4().hex[:8]}"
    async with build_counter_worker(time_env.client, pool, settings):
        await count_ticket(
            time_env.client, settings.task_queue, _ticket(uuid.uuid4().hex[:8], 0, 0), id_prefix=prefix
        )
        assert await eventually(lambda: _counted(time_env, prefix), lambda n: n == 1) == 1
        counter = time_env.client.get_workflow_handle(workflow_id(Category.PRODUCT_QUALITY, prefix))
        assert (await counter.describe()).task_queue == counter_queue(settings.task_queue)
        await counter.terminate("test done")


async def test_five_tickets_spread_over_three_hours_open_no_incident(
    time_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings
) -> None:
    prefix = f"hs-{uuid.uuid4().hex[:8]}"
    product = uuid.uuid4().hex[:8]
    async with insight_worker(time_env.client, pool, settings):
        for i in range(5):
            await count_ticket(
                time_env.client, settings.task_queue, _ticket(product, i, i * 45, team=None), id_prefix=prefix
            )
        assert await eventually(lambda: _counted(time_env, prefix), lambda n: n == 5) == 5
        assert await _incidents_for(pool, product) == []


async def test_a_closed_incident_found_by_the_link_activity_is_forgotten(
    time_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings
) -> None:
    """No close signal reached the workflow: linking finds the incident closed and counts the ticket anew."""
    prefix = f"hs-{uuid.uuid4().hex[:8]}"
    product = uuid.uuid4().hex[:8]
    async with insight_worker(time_env.client, pool, settings):
        for i in range(5):
            await count_ticket(
                time_env.client, settings.task_queue, _ticket(product, i, i, team=None), id_prefix=prefix
            )
        ids = await eventually(lambda: _incidents_for(pool, product), bool)
        await eventually(
            lambda: incidents.get(pool, ids[0]), lambda i: i is not None and len(i.ticket_nos) == 5
        )
        await incidents.close(pool, ids[0], "sup", None, T0)
        await count_ticket(
            time_env.client, settings.task_queue, _ticket(product, 5, 10, team=None), id_prefix=prefix
        )
        assert await eventually(lambda: _counted(time_env, prefix), lambda n: n == 6) == 6
        handle = time_env.client.get_workflow_handle(workflow_id(Category.PRODUCT_QUALITY, prefix))
        state = await eventually(
            lambda: handle.query("state", result_type=HotspotState), lambda s: not s.open_incidents
        )
        assert state.open_incidents == {}
        assert [t.ticket_no for t in state.windows[f"product_quality|product={product}"]] == [
            f"HS-{product}-5"
        ]


async def test_the_counter_continues_as_new_and_keeps_its_windows(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings
) -> None:
    """The dev server suggests continue-as-new after 50 events: the new run holds every counted ticket."""
    prefix = f"hs-{uuid.uuid4().hex[:8]}"
    products = [uuid.uuid4().hex[:8] for _ in range(30)]  # one ticket a product: nothing crosses
    now = datetime.now(UTC)  # a real-time server: older tickets would be pruned at continue-as-new
    async with insight_worker(dev_env.client, pool, settings):
        for i, product in enumerate(products):
            await count_ticket(
                dev_env.client,
                settings.task_queue,
                _ticket(product, i, i / 60, team=None, base=now),
                id_prefix=prefix,
            )
        handle = dev_env.client.get_workflow_handle(workflow_id(Category.PRODUCT_QUALITY, prefix))

        async def state() -> HotspotState:
            state: HotspotState = await handle.query("state", result_type=HotspotState)
            return state

        final = await eventually(state, lambda s: len(s.seen) == 30)
        assert len(final.seen) == 30 and len(final.windows) == 30

        async def runs() -> list[str]:
            return [e.run_id async for e in dev_env.client.list_workflows(f"WorkflowId = '{handle.id}'")]

        assert len(await eventually(runs, lambda r: len(r) >= 2)) >= 2, (
            "expected at least one continue-as-new"
        )
    assert await _incidents_for(pool, products[0]) == []


async def test_a_flood_into_an_open_incident_is_counted_in_batches_and_linked_a_batch_at_a_time(
    time_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings
) -> None:
    """1,000 tickets of one product arrive at once (a flood's backlog): one incident, every ticket linked,
    a link activity per batch rather than per ticket, and no workflow task past the deadlock detector."""
    await _seed_team(pool)
    prefix = f"hs-{uuid.uuid4().hex[:8]}"
    product = uuid.uuid4().hex[:8]
    backlog = [_ticket(product, i, i / 100) for i in range(1_000)]
    wf_id = workflow_id(Category.PRODUCT_QUALITY, prefix)
    async with insight_worker(time_env.client, pool, settings):
        handle = await time_env.client.start_workflow(
            hotspot_window.WORKFLOW_NAME,
            HotspotInput(category=Category.PRODUCT_QUALITY, pending=backlog),
            id=wf_id,
            task_queue=counter_queue(settings.task_queue),
        )
        ids = await eventually(lambda: _incidents_for(pool, product), bool)
        assert len(ids) == 1
        found = await eventually(
            lambda: incidents.get(pool, ids[0]), lambda i: i is not None and len(i.ticket_nos) == 1_000
        )
        assert found is not None and len(found.ticket_nos) == 1_000
        # A backlog this size continues as new more than once; on a loaded machine that takes a while.
        counted = await eventually(lambda: _counted(time_env, prefix), lambda n: n >= 1_000, within=60)
        if counted < 1_000:
            latest = await time_env.client.get_workflow_handle(wf_id).describe()
            raise AssertionError(f"counted {counted}; the latest run {latest.run_id} is {latest.status}")
        # The run that counted the backlog (it continued as new afterwards: more than TICKETS_PER_RUN).
        first = time_env.client.get_workflow_handle(wf_id, run_id=handle.first_execution_run_id)
        history = await first.fetch_history()
        await save_history(first, "hotspot_backlog_counted_in_batches_carried_on", into=HISTORIES)
    links = Counter(_write_of(e) for e in history.events)
    # The crossing's own tickets, then the rest of the run's batch in one; each a local activity inside the
    # counting task (no activity task, no workflow task of its own) while Postgres answers.
    assert links[("local", "link_incident_tickets")] == 2
    assert links[("task", "link_incident_tickets")] == 0
    failed = [e for e in history.events if e.HasField("workflow_task_failed_event_attributes")]
    assert failed == []
    # A full run stopped counting and handed the rest on: under a flood the backlog never empties, and a
    # run that waited for it reached the server's 10,000 signals a run.
    (continued,) = [
        e for e in history.events if e.HasField("workflow_execution_continued_as_new_event_attributes")
    ]
    (carried,) = await pydantic_data_converter.decode(
        continued.workflow_execution_continued_as_new_event_attributes.input.payloads, [HotspotInput]
    )
    counted_here = TICKETS_PER_RUN  # one workflow task's batch fills the run
    assert len(carried.pending) == 1_000 - counted_here
    assert len(carried.state.seen) == counted_here
    await handle.terminate("test done")


async def test_fifty_tickets_opened_together_reach_the_counter_in_one_signal_and_each_counts_once(
    time_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings
) -> None:
    """How intake counts: a flood's tickets share signals (a signal a ticket kept a counter's run from ever
    continuing as new), a retried intake's repeat is ignored, and each intake learns when its ticket is in."""
    prefix = f"hs-{uuid.uuid4().hex[:8]}"
    product = uuid.uuid4().hex[:8]
    counter = HotspotCounter(time_env.client, settings.task_queue, id_prefix=prefix, spacing=0.2)
    tickets = [_ticket(product, i, i / 10, team=None) for i in range(50)]
    async with insight_worker(time_env.client, pool, settings):
        await asyncio.gather(*(counter.count(t) for t in tickets))
        await counter.count(tickets[0])  # an integrator's retry after a lost answer
        assert await eventually(lambda: _counted(time_env, prefix), lambda n: n >= 50) == 50
        handle = time_env.client.get_workflow_handle(workflow_id(Category.PRODUCT_QUALITY, prefix))
        history = await handle.fetch_history()
        await save_history(handle, "hotspot_tickets_opened_together", into=HISTORIES)
        await counter.aclose()
        await handle.terminate("test done")
    signals = [e for e in history.events if e.HasField("workflow_execution_signaled_event_attributes")]
    assert len(signals) == 2  # the fifty together, then the repeat on its own
