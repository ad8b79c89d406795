"""Scenarios 7 to 9: the worker is SIGKILLed at the end of tickets' lives: while every one awaits the
customer's feedback; while every one is closing, its archive pending; between the archive and the
customer's closure notice. Each ticket still ends closed, archived once, its customer told once."""

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import Client

from activities.channels.webhook import DELIVERY_HEADER
from domain.enums import Status
from domain.ticket import TicketView
from tests.faults.driver import (
    ACKNOWLEDGE,
    RESOLVE_STEP,
    Http,
    exact_counts,
    feedback_dues,
    gather_limited,
    intake_body,
    reading,
    sink_deliveries,
    size,
    statuses,
    until,
    wait_archived,
)
from tests.faults.stack import FaultStack

# How far ahead of the kill (or the outage) every no-answer deadline must still be: the fault has to land
# while the tickets await feedback, not as their timers fire.
SLACK = timedelta(seconds=1)


async def awaiting_feedback(stack: FaultStack, http: Http, n: int, run: str) -> dict[str, datetime]:
    """n tickets acknowledged, then resolved in one burst: each awaits feedback; its no-answer deadline."""
    tickets = await gather_limited(16, *(http.open_ticket(intake_body(f"{run}-{i}")) for i in range(n)))
    await http.take_all(tickets, ACKNOWLEDGE)
    await http.take_all(tickets, RESOLVE_STEP)
    dues = await feedback_dues(stack.db, tickets)
    assert len(dues) == n, await statuses(stack.db, tickets)
    return dues


async def closing_events(stack: FaultStack, tickets: list[str]) -> list[dict[str, Any]]:
    """Each ticket's `closed` event and archive row: when, why, and when the row was written."""
    rows = await reading(
        lambda: stack.db.fetch(
            "SELECT e.ticket_no, e.at, e.data->>'reason' AS reason, a.archived_at,"
            " a.record->>'close_reason' AS archived_reason"
            " FROM ticket_events e JOIN archive a USING (ticket_no)"
            " WHERE e.ticket_no = ANY($1) AND e.type = 'closed'",
            tickets,
        )
    )
    assert len(rows) == len(tickets)
    return [dict(r) for r in rows]


async def test_a_worker_killed_while_tickets_await_feedback_closes_each_once_after_its_deadline(
    stack: FaultStack, http: Http, figures: Callable[..., Any]
) -> None:
    n = size(10, 30)
    dues = await awaiting_feedback(stack, http, n, f"feedback-{uuid.uuid4().hex[:8]}")
    tickets = list(dues)

    stack.sigkill(stack.worker)
    killed, killed_at = time.monotonic(), datetime.now(UTC)
    at_kill = await statuses(stack.db, tickets)  # the worker is gone: nothing writes until the next one
    assert at_kill == {"awaiting_feedback": n, "archived": 0}, at_kill
    assert killed_at + SLACK <= min(dues.values()), "the kill must come before every no-answer deadline"
    # The worker stays down past the last deadline: every one fires with no worker to act on it.
    await asyncio.sleep((max(dues.values()) - datetime.now(UTC)).total_seconds() + 1)
    restarted = datetime.now(UTC)
    await stack.start_worker()

    archived_in = await wait_archived(stack.db, tickets)
    exact = await exact_counts(stack.db, tickets, stack.customers, repeats_only_before=killed)
    closes = await closing_events(stack, tickets)
    # Closed for want of an answer, by the new worker: no ticket closed (or archived) before it ran.
    assert {(c["reason"], c["archived_reason"]) for c in closes} == {("no_response", "no_response")}
    assert all(c["at"] >= restarted and c["archived_at"] >= restarted for c in closes), closes
    assert exact.archive_rows == n
    figures(
        tickets=n,
        at_kill=at_kill,
        deadlines_s_after_kill=[
            round((min(dues.values()) - killed_at).total_seconds(), 1),
            round((max(dues.values()) - killed_at).total_seconds(), 1),
        ],
        worker_down_s=round((restarted - killed_at).total_seconds(), 1),
        all_archived_s_after_restart=round(archived_in, 1),
        archive_rows=exact.archive_rows,
        events=exact.events,
        notifications=exact.notifications,
        customer_notices=exact.customer_notices,
        customer_deliveries=exact.customer_deliveries,
        redelivered=exact.redelivered,
    )


async def pending_archive(client: Client, ticket_no: str) -> int:
    """The attempt the workflow's `archive` activity is at; 0 when none is pending."""
    described = await client.get_workflow_handle(ticket_no).describe()
    pending = [a for a in described.raw_description.pending_activities if a.activity_type.name == "archive"]
    return pending[0].attempt if pending else 0


async def test_a_worker_killed_while_tickets_close_and_archive_archives_each_once(
    stack: FaultStack, http: Http, figures: Callable[..., Any]
) -> None:
    n = size(10, 30)
    dues = await awaiting_feedback(stack, http, n, f"closing-{uuid.uuid4().hex[:8]}")
    tickets = list(dues)

    # Postgres stops before the no-answer deadlines: each ticket closes in its workflow, and its archive
    # (which carries the closing step's events) cannot be written, so it is retried.
    await asyncio.to_thread(stack.stop_postgres)
    stopped_at = datetime.now(UTC)
    assert stopped_at + SLACK <= min(dues.values()), "the outage must start before every no-answer deadline"
    client = await stack.temporal_client()

    async def all_archiving() -> bool:
        attempts = await asyncio.gather(*(pending_archive(client, t) for t in tickets))
        return all(attempts)

    await until(all_archiving, "every ticket closed, its archive retried", timeout_s=120, every=0.5)
    views = await asyncio.gather(
        *(client.get_workflow_handle(t).query("view", result_type=TicketView) for t in tickets)
    )
    assert {(v.status, v.close_reason) for v in views} == {(Status.CLOSED, "no_response")}

    stack.sigkill(stack.worker)
    killed = time.monotonic()
    # At the kill, every ticket was closing: closed in its workflow, its archive write pending (and still
    # pending now that no worker runs).
    archiving_at_kill = await asyncio.gather(*(pending_archive(client, t) for t in tickets))
    assert all(archiving_at_kill), archiving_at_kill
    await asyncio.sleep(1)
    await asyncio.to_thread(stack.start_postgres)
    back = datetime.now(UTC)
    # What the store held at the kill (no worker has run since): the feedback stage, nothing archived.
    at_kill = await statuses(stack.db, tickets)
    assert at_kill == {"awaiting_feedback": n, "archived": 0}, at_kill
    await stack.start_worker()

    archived_in = await wait_archived(stack.db, tickets)
    exact = await exact_counts(stack.db, tickets, stack.customers, repeats_only_before=killed)
    closes = await closing_events(stack, tickets)
    # Closed during the outage (the event keeps its workflow time), archived only after it.
    assert {(c["reason"], c["archived_reason"]) for c in closes} == {("no_response", "no_response")}
    assert all(stopped_at < c["at"] < back <= c["archived_at"] for c in closes), closes
    assert exact.archive_rows == n
    figures(
        tickets=n,
        at_kill={"workflows_closed": n, "archive_pending": n, "store": at_kill},
        archive_attempts_at_kill=sorted(archiving_at_kill),
        postgres_down_s=round((back - stopped_at).total_seconds(), 1),
        all_archived_s_after_restart=round(archived_in, 1),
        archive_rows=exact.archive_rows,
        events=exact.events,
        notifications=exact.notifications,
        customer_notices=exact.customer_notices,
        customer_deliveries=exact.customer_deliveries,
        redelivered=exact.redelivered,
    )


async def pending_notify(client: Client, ticket_no: str) -> int:
    """The attempt the workflow's `notify` activity is at; 0 when none is pending."""
    described = await client.get_workflow_handle(ticket_no).describe()
    pending = [a for a in described.raw_description.pending_activities if a.activity_type.name == "notify"]
    return pending[0].attempt if pending else 0


async def test_a_worker_killed_between_the_archive_and_the_closure_notice_tells_each_customer_once(
    stack: FaultStack, http: Http, figures: Callable[..., Any]
) -> None:
    n = size(10, 30)
    dues = await awaiting_feedback(stack, http, n, f"notice-{uuid.uuid4().hex[:8]}")
    tickets = list(dues)

    # The integrators' webhook refuses (HTTP 500) from before the no-answer deadlines: every ticket closes
    # and is archived, and its closure notice is retried.
    stack.customers.script([500] * 100_000)
    refusing_from = datetime.now(UTC)
    assert refusing_from + SLACK <= min(dues.values()), "the refusals must start before every deadline"
    client = await stack.temporal_client()

    async def all_retrying_the_notice() -> bool:
        archived = (await statuses(stack.db, tickets))["archived"]
        attempts = await asyncio.gather(*(pending_notify(client, t) for t in tickets))
        return archived == n and all(attempts)

    try:
        await until(all_retrying_the_notice, "every ticket archived, its notice retried", 120, every=0.5)
        stack.sigkill(stack.worker)
        killed = time.monotonic()
        # At the kill: every ticket closed and archived, its closure notice not yet accepted, its `notify`
        # activity pending (and still pending now that no worker runs).
        at_kill = await statuses(stack.db, tickets)
        assert at_kill == {"closed": n, "archived": n}, at_kill
        undelivered = await stack.db.fetchval(
            "SELECT count(*) FROM notifications WHERE ticket_no = ANY($1) AND template = 'closed'"
            " AND delivered_at IS NULL",
            tickets,
        )
        assert undelivered == n
        notifying_at_kill = await asyncio.gather(*(pending_notify(client, t) for t in tickets))
        assert all(notifying_at_kill), notifying_at_kill
    finally:
        stack.customers.statuses.clear()
    restarted = time.monotonic()
    await stack.start_worker()

    told_in = await wait_archived(stack.db, tickets)
    exact = await exact_counts(stack.db, tickets, stack.customers, repeats_only_before=killed)
    closed_keys = {
        r["key"]
        for r in await stack.db.fetch(
            "SELECT key FROM notifications WHERE ticket_no = ANY($1) AND template = 'closed'", tickets
        )
    }
    arrived = sink_deliveries(stack.customers, tickets)
    refused = Counter(
        r.headers.get(DELIVERY_HEADER.lower())
        for r in stack.customers.requests
        if r.status == 500 and r.headers.get(DELIVERY_HEADER.lower()) in closed_keys
    )
    # Each closure notice was refused before the kill, then accepted once, from the new worker.
    assert len(closed_keys) == n and all(refused[k] >= 1 for k in closed_keys), refused
    assert all(len(arrived[k]) == 1 and arrived[k][0] >= restarted for k in closed_keys), arrived
    figures(
        tickets=n,
        at_kill=at_kill | {"closure_notices_undelivered": undelivered},
        notify_attempts_at_kill=sorted(notifying_at_kill),
        closure_notices_refused=sum(refused.values()),
        all_told_s_after_restart=round(told_in, 1),
        archive_rows=exact.archive_rows,
        events=exact.events,
        notifications=exact.notifications,
        customer_notices=exact.customer_notices,
        customer_deliveries=exact.customer_deliveries,
        redelivered=exact.redelivered,
    )
