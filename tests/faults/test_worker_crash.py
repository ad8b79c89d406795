"""Scenario 1: the worker is SIGKILLed while tickets are mid-life; a new worker finishes every one, once."""

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

from tests.faults.driver import Http, exact_counts, gather_limited, intake_body, size, until, wait_archived
from tests.faults.stack import FaultStack


async def test_a_worker_killed_mid_life_loses_nothing_and_doubles_nothing(
    stack: FaultStack, http: Http, figures: Callable[..., Any]
) -> None:
    n = size(20, 200)
    run = uuid.uuid4().hex[:8]
    tickets = await gather_limited(16, *(http.open_ticket(intake_body(f"crash-{run}-{i}")) for i in range(n)))
    driving = asyncio.create_task(gather_limited(16, *(http.see_through(t) for t in tickets)))

    # Once a quarter are acknowledged the kill finds tickets in every state between intake and archive.
    moved = "SELECT count(*) FROM tickets WHERE ticket_no = ANY($1) AND status NOT IN ('new', 'assigned')"

    async def a_quarter_moved() -> bool:
        return bool(await stack.db.fetchval(moved, tickets) >= n // 4)

    await until(a_quarter_moved, "a quarter acknowledged", every=0.05)
    states = await stack.db.fetch(
        "SELECT status, count(*) FROM tickets WHERE ticket_no = ANY($1) GROUP BY status", tickets
    )
    stack.sigkill(stack.worker)
    killed = time.monotonic()
    await asyncio.sleep(1)
    await stack.start_worker()

    await driving
    await wait_archived(stack.db, tickets)
    recovered = time.monotonic() - killed
    exact = await exact_counts(stack.db, tickets, stack.customers)

    assert exact.archive_rows == n
    figures(
        tickets=n,
        at_kill={r["status"]: r["count"] for r in states},
        archive_rows=exact.archive_rows,
        events=exact.events,
        notifications=exact.notifications,
        all_archived_s_after_kill=round(recovered, 1),
        http=dict(http.statuses),
    )
