"""Scenario 3: PostgreSQL stops mid-run. The API answers 503 with a clear message (never 500), activities
retry and succeed once it is back, and nothing is lost or doubled."""

import asyncio
import time
import uuid
from collections import Counter
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

UNAVAILABLE = "the database is unavailable; retry shortly"


async def test_a_postgres_outage_answers_503_then_every_ticket_completes_once(
    stack: FaultStack, http: Http, figures: Callable[..., Any]
) -> None:
    n, outage_s = size(10, 50), size(8, 30)
    assert stack.keys is not None
    keys = stack.keys
    run = uuid.uuid4().hex[:8]
    tickets = await gather_limited(16, *(http.open_ticket(intake_body(f"pg-{run}-{i}")) for i in range(n)))
    driving = asyncio.create_task(gather_limited(16, *(http.see_through(t) for t in tickets)))
    probes: list[asyncio.Task[None]] = []
    moved = "SELECT count(*) FROM tickets WHERE ticket_no = ANY($1) AND status NOT IN ('new', 'assigned')"

    async def a_quarter_moved() -> bool:
        return bool(await stack.db.fetchval(moved, tickets) >= n // 4)

    # What integrators and operators do all along, across the stop and the start: open tickets, read
    # one, check health. Every answer is a success or a 503 with the message; never a 500.
    answered: Counter[str] = Counter()
    messages: set[str] = set()
    probed: list[dict[str, Any]] = []
    probing = True

    async def probe(lane: int) -> None:
        i = 0
        while probing:
            body = intake_body(f"pg-{run}-probe-{lane}-{i}")
            i += 1
            probed.append(body)
            calls = (
                (
                    "POST /tickets",
                    http.client.post(f"{stack.api_url}/tickets", json=body, headers=h(keys.integrator)),
                ),
                (
                    "GET /tickets/{no}",
                    http.client.get(f"{stack.api_url}/tickets/{tickets[0]}", headers=h(keys.admin)),
                ),
                ("GET /healthz", http.client.get(f"{stack.api_url}/healthz")),
            )
            for name, call in calls:
                r = await call
                answered[f"{name} {r.status_code}"] += 1
                assert r.status_code in (200, 201, 503), (
                    f"{name}: {r.status_code} {r.text}\nthe API's log ends:\n{stack.log_of('api')[-4000:]}"
                )
                if r.status_code == 503 and name != "GET /healthz":
                    messages.add(r.json()["error"]["message"])
            await asyncio.sleep(0.5)

    try:
        await until(a_quarter_moved, "a quarter acknowledged", every=0.05)
        probes = [asyncio.create_task(probe(lane)) for lane in range(2)]
        await asyncio.sleep(1)
        # The last look before the stop (nothing is written during the outage, so it is where the
        # tickets stood then, give or take what moved during the stop itself).
        before_stop = await statuses(stack.db, tickets)
        await asyncio.to_thread(stack.stop_postgres)
        down, down_at = time.monotonic(), datetime.now(UTC)
        await asyncio.sleep(outage_s)
        await asyncio.to_thread(stack.start_postgres)
        back = time.monotonic()
        await asyncio.sleep(2)
        probing = False
        await asyncio.gather(*probes)

        assert answered["POST /tickets 503"] > 0 and answered["GET /healthz 503"] > 0, answered
        assert messages <= {UNAVAILABLE, "the ticket engine is not answering; retry shortly"}, messages
        # The integrators retry every intake they sent (refused or not: idempotent); the tickets opened
        # before the outage carry on by themselves.
        retried = await gather_limited(16, *(http.open_ticket(b) for b in probed))
        assert len(set(retried)) == len(probed)
        await gather_limited(16, *(http.see_through(t) for t in retried))
        await driving
    finally:
        probing = False
        await cancelled(driving, *probes)
    everything = tickets + retried
    await wait_archived(stack.db, everything)
    recovered = time.monotonic() - back
    # A notice the receiver accepted just as Postgres went away (its record failing) is sent again.
    exact = await exact_counts(stack.db, everything, stack.customers, repeats_only_before=back)
    # At least a quarter of the tickets opened before the outage were still to archive when it began.
    archived_after = await stack.db.fetchval(
        "SELECT count(*) FROM archive WHERE ticket_no = ANY($1) AND archived_at >= $2", tickets, down_at
    )
    assert archived_after >= n // 4, (before_stop, archived_after)

    external_ids = [f"pg-{run}-{i}" for i in range(n)] + [b["external_id"] for b in probed]
    opened_rows = await stack.db.fetchval(
        "SELECT count(*) FROM tickets WHERE external_id = ANY($1)", external_ids
    )
    assert opened_rows == len(external_ids) == exact.archive_rows
    figures(
        tickets_before=n,
        before_stop=before_stop,
        archived_after_outage=archived_after,
        outage_s=round(back - down, 1),
        answered_around_outage=dict(answered),
        intakes_during_probe=len(probed),
        archive_rows=exact.archive_rows,
        events=exact.events,
        notifications=exact.notifications,
        customer_notices=exact.customer_notices,
        customer_deliveries=exact.customer_deliveries,
        redelivered=exact.redelivered,
        all_archived_s_after_restart=round(recovered, 1),
        http=dict(http.statuses),
    )


def h(key: str) -> dict[str, str]:
    return {"X-API-Key": key}
