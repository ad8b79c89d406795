"""Scenario 2: the Temporal dev server stops mid-run and starts again on the same database file; every
deadline that fell in the outage fires after it, in order, and every ticket completes."""

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.faults.driver import (
    Http,
    exact_counts,
    gather_limited,
    intake_body,
    size,
    statuses,
    until,
    wait_archived,
)
from tests.faults.stack import FaultStack

# A high ticket left alone (policy of the stack: response 6 s, resolution 15 s, escalation every 4 s):
# reminder at 4.8 s, response missed at 6 s (→ level 1), level 2 at 10 s, resolution reminder at 12 s,
# level 3 at 14 s, resolution missed at 15 s.
LADDER = ["warned", "breached", "escalated", "escalated", "warned", "escalated", "breached"]
FIRST_REMINDER, LAST_DEADLINE = timedelta(seconds=4.8), timedelta(seconds=15)
OUTAGE_AFTER_LAST_OPENED = timedelta(seconds=17)
# The outage must start this far before the first reminder and end this far after the last deadline.
SLACK = timedelta(seconds=1)


async def test_deadlines_that_fall_in_a_temporal_outage_fire_after_it_in_order(
    stack: FaultStack, http: Http, figures: Callable[..., Any]
) -> None:
    n = size(5, 50)
    run = uuid.uuid4().hex[:8]
    bodies = [intake_body(f"outage-{run}-{i}", priority="high") for i in range(n)]
    tickets = await gather_limited(16, *(http.open_ticket(b) for b in bodies))
    opened = await stack.db.fetchrow(
        "SELECT min(created_at) AS first, max(created_at) AS last FROM tickets WHERE ticket_no = ANY($1)",
        tickets,
    )
    assert opened is not None
    first_opened, last_opened = opened["first"], opened["last"]

    await asyncio.to_thread(stack.stop_temporal)
    stopped_at = datetime.now(UTC)
    assert stopped_at + SLACK <= first_opened + FIRST_REMINDER, "the outage must start before any deadline"
    # At the stop every ticket was open and untouched (new, or assigned and not acknowledged), and no
    # reminder or deadline had fired: the whole ladder is still to come.
    at_stop = await statuses(stack.db, tickets)
    assert set(at_stop) <= {"new", "assigned", "archived"} and at_stop["archived"] == 0, at_stop
    timed = await stack.db.fetchval(
        "SELECT count(*) FROM ticket_events WHERE ticket_no = ANY($1) AND type = ANY($2)", tickets, LADDER
    )
    assert timed == 0
    await asyncio.sleep((last_opened + OUTAGE_AFTER_LAST_OPENED - datetime.now(UTC)).total_seconds())
    restarting_at = datetime.now(UTC)
    assert restarting_at >= last_opened + LAST_DEADLINE + SLACK, "every deadline must fall in the outage"
    await asyncio.to_thread(stack.start_temporal)

    async def ladder_done() -> bool:
        last_deadline = (
            "SELECT count(*) FROM ticket_events WHERE ticket_no = ANY($1)"
            " AND type = 'breached' AND data->>'target' = 'resolve'"
        )
        return bool(await stack.db.fetchval(last_deadline, tickets) == n)

    caught_up = await until(ladder_done, "every deadline fired after the restart", 120, every=0.5)

    rows = await stack.db.fetch(
        "SELECT ticket_no, seq, type, at, data FROM ticket_events WHERE ticket_no = ANY($1) ORDER BY 1, 2",
        tickets,
    )
    for t in tickets:
        events = [r for r in rows if r["ticket_no"] == t]
        assert [e["type"] for e in events] == ["opened", "assigned", *LADDER], t
        timed = events[2:]
        assert all(e["at"] >= restarting_at for e in timed), f"{t}: a deadline fired during the outage"
        dues = [datetime.fromisoformat(e["data"]["due"]) for e in timed if e["type"] != "warned"]
        assert dues == sorted(dues), f"{t}: deadlines fired out of order {dues}"
        assert all(stopped_at < d < restarting_at for d in dues), f"{t}: {dues} not inside the outage"

    await gather_limited(16, *(http.see_through(t) for t in tickets))
    await wait_archived(stack.db, tickets)
    exact = await exact_counts(stack.db, tickets, stack.customers)
    assert exact.archive_rows == n
    figures(
        tickets=n,
        at_stop=at_stop,
        stop_s_before_first_reminder=round((first_opened + FIRST_REMINDER - stopped_at).total_seconds(), 1),
        outage_s=round((restarting_at - stopped_at).total_seconds(), 1),
        deadlines_in_outage=n * len([x for x in LADDER if x != "warned"]),
        reminders_in_outage=n * LADDER.count("warned"),
        all_fired_s_after_restart=round(caught_up, 1),
        archive_rows=exact.archive_rows,
        events=exact.events,
        notifications=exact.notifications,
        customer_notices=exact.customer_notices,
        customer_deliveries=exact.customer_deliveries,
        http=dict(http.statuses),
    )
