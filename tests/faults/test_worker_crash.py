"""Scenario 1: the worker is SIGKILLed while tickets are mid-life; a new worker finishes every one, once."""

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.faults.driver import (
    Http,
    cancelled,
    exact_counts,
    gather_limited,
    intake_body,
    size,
    statuses,
    until,
    wait_archived,
)
from tests.faults.stack import FaultStack


async def test_a_worker_killed_mid_life_loses_nothing_and_doubles_nothing(
    stack: FaultStack, http: Http, figures: Callable[..., Any]
) -> None:
    n = size(20, 200)
    run = uuid.uuid4().hex[:8]
    tickets = await gather_limited(16, *(http.open_ticket(intake_body(f"crash-{run}-{i}")) for i in range(n)))
    driving = asyncio.create_task(gather_limited(16, *(http.see_through(t) for t in tickets)))
    try:
        # Once a quarter are acknowledged the kill finds tickets in every state between intake and archive.
        moved = "SELECT count(*) FROM tickets WHERE ticket_no = ANY($1) AND status NOT IN ('new', 'assigned')"

        async def a_quarter_moved() -> bool:
            return bool(await stack.db.fetchval(moved, tickets) >= n // 4)

        await until(a_quarter_moved, "a quarter acknowledged", every=0.05)
        stack.sigkill(stack.worker)
        killed = time.monotonic()
        # The worker is gone: what the store shows now is where every ticket stood at the kill.
        at_kill = await statuses(stack.db, tickets)
        past_assigned = n - at_kill.get("new", 0) - at_kill.get("assigned", 0)
        assert past_assigned >= n // 4 and at_kill["archived"] <= n - n // 4, at_kill
        await asyncio.sleep(1)
        restarted = datetime.now(UTC)
        await stack.start_worker()
        await driving
    finally:
        await cancelled(driving)

    await wait_archived(stack.db, tickets)
    recovered = time.monotonic() - killed
    exact = await exact_counts(stack.db, tickets, stack.customers, repeats_only_before=killed)
    # Every ticket the kill found unarchived was archived by the new worker: the kill hit them mid-life.
    archived_after = await stack.db.fetchval(
        "SELECT count(*) FROM archive WHERE ticket_no = ANY($1) AND archived_at >= $2", tickets, restarted
    )
    assert archived_after == n - at_kill["archived"]
    assert exact.archive_rows == n
    figures(
        tickets=n,
        at_kill=at_kill,
        archived_by_the_new_worker=archived_after,
        archive_rows=exact.archive_rows,
        events=exact.events,
        notifications=exact.notifications,
        customer_notices=exact.customer_notices,
        customer_deliveries=exact.customer_deliveries,
        redelivered=exact.redelivered,
        all_archived_s_after_kill=round(recovered, 1),
        http=dict(http.statuses),
    )
