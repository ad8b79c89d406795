"""Driving tickets through the HTTP API as integrators and agents do (retrying what a fault interrupts), and
the exact counts every fault test ends with."""

import asyncio
import os
import time
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import httpx

from activities.channels.webhook import DELIVERY_HEADER
from tests.activities.channels.servers import WebhookReceiver
from tests.faults.stack import FaultStack

FULL = os.environ.get("TICKETFLOW_FAULTS_FULL") == "1"


def size(small: int, full: int) -> int:
    """The scenario's size: small in `make test`, the issue's figure under `make faults`."""
    return full if FULL else small


def intake_body(external_id: str, category: str = "how_to", priority: str = "medium") -> dict[str, Any]:
    """A new customer's contact: a caller a ticket, so no repeat-contact notice joins the scenario."""
    phone = f"139{zlib.crc32(external_id.encode()) % 10**8:08d}"
    return {
        "channel": "chat",
        "external_id": external_id,
        "customer": {"name": "王小明", "phone": phone},
        "kind": "consultation",
        "category": category,
        "priority": priority,
        "description": "包裹三天没有更新 my parcel has not moved for three days",
    }


RESOLVE = {
    "solution": "重新发货 re-shipped",
    "root_cause": {"what": "parcel stuck", "why": "scanner fault", "factor": "machine"},
}

# An assignee's step: the action, the read-model statuses that show it done, the body.
Step = tuple[str, set[str], dict[str, Any]]
ACKNOWLEDGE: Step = ("acknowledge", {"in_progress"}, {})
RESOLVE_STEP: Step = ("resolve", {"awaiting_feedback", "closed"}, RESOLVE)


@dataclass
class Http:
    """One HTTP client for a test, counting every status it received (a 500 anywhere fails the test)."""

    stack: FaultStack
    client: httpx.AsyncClient
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0

    async def post(self, path: str, key: str, body: Any) -> httpx.Response | None:
        """The response, or None when the API could not be reached (killed, restarting)."""
        try:
            r = await self.client.post(f"{self.stack.api_url}{path}", json=body, headers={"X-API-Key": key})
        except httpx.TransportError:
            self.transport_errors += 1
            return None
        self.statuses[r.status_code] += 1
        assert r.status_code < 500 or r.status_code == 503, f"{path}: {r.status_code} {r.text}"
        return r

    async def open_ticket(self, body: dict[str, Any], deadline_s: float = 120) -> str:
        """The integrator's loop: post until the API answers 200/201 (retrying 503s and dropped calls)."""
        assert self.stack.keys is not None
        deadline = time.monotonic() + deadline_s
        while True:
            r = await self.post("/tickets", self.stack.keys.integrator, body)
            if r is not None and r.status_code in (200, 201):
                return str(r.json()["ticket_no"])
            assert r is None or r.status_code == 503, r.text
            assert time.monotonic() < deadline, f"{body['external_id']} not opened in {deadline_s} s"
            await asyncio.sleep(0.5)

    async def see_through(self, ticket_no: str, deadline_s: float = 240) -> None:
        """The assignee acknowledges and resolves; the ticket then closes by itself (no feedback: 8 s)."""
        deadline = time.monotonic() + deadline_s
        for step in (ACKNOWLEDGE, RESOLVE_STEP):
            await self.take(ticket_no, step, deadline)

    async def take(self, ticket_no: str, step: Step, deadline: float) -> None:
        """One of the assignee's steps, retried until the read model shows it done (or a later state)."""
        assert self.stack.keys is not None
        action, after, body = step
        while True:
            assert time.monotonic() < deadline, f"{ticket_no} stuck before {action}"
            row = await _read_model(self.stack.db, ticket_no)
            if row is None or row["assignee"] is None:
                await asyncio.sleep(0.3)
                continue
            if row["status"] in after or row["status"] in {"awaiting_feedback", "closed"}:
                return
            key = self.stack.keys.agents[row["assignee"]]
            r = await self.post(f"/tickets/{ticket_no}/{action}", key, body)
            if r is not None and r.status_code == 200:
                return
            # 409 (the earlier call went through but its answer was lost) or 503: look again.
            await asyncio.sleep(0.5)

    async def take_all(self, tickets: list[str], step: Step, deadline_s: float = 240) -> None:
        """One step for every ticket at once (16 at a time)."""
        deadline = time.monotonic() + deadline_s
        await gather_limited(16, *(self.take(t, step, deadline) for t in tickets))


async def _read_model(pool: asyncpg.Pool, ticket_no: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await reading(
        lambda: pool.fetchrow("SELECT status, assignee FROM tickets WHERE ticket_no = $1", ticket_no)
    )
    return row


async def reading(read: Callable[[], Awaitable[Any]]) -> Any:
    """The test's own reads wait out a Postgres outage (and the broken connections it leaves) too."""
    for _ in range(600):
        try:
            return await read()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError):
            await asyncio.sleep(0.5)
    raise AssertionError("the test cannot reach Postgres")


async def until(
    check: Callable[[], Awaitable[bool]], what: str, timeout_s: float = 240, every: float = 0.2
) -> float:
    """Poll `check` until it holds; the seconds it took. Fails naming `what` after `timeout_s`."""
    start = time.monotonic()
    while not await check():
        assert time.monotonic() - start < timeout_s, f"{what}: not after {timeout_s} s"
        await asyncio.sleep(every)
    return time.monotonic() - start


async def gather_limited(limit: int, *coros: Any) -> list[Any]:
    """asyncio.gather with at most `limit` running at once."""
    gate = asyncio.Semaphore(limit)

    async def one(c: Any) -> Any:
        async with gate:
            return await c

    return list(await asyncio.gather(*(one(c) for c in coros)))


async def cancelled(*tasks: asyncio.Task[Any]) -> None:
    """Cancel and await a test's driving and probing tasks (in its `finally`): a failed test leaves nothing
    running into the next. A task that already ended is only awaited."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def statuses(pool: asyncpg.Pool, ticket_nos: list[str]) -> dict[str, int]:
    """How many of the tickets are in each status of the read model, with `archived` for archive rows."""
    rows = await reading(
        lambda: pool.fetch(
            "SELECT status, count(*) AS n FROM tickets WHERE ticket_no = ANY($1) GROUP BY status", ticket_nos
        )
    )
    archived = await reading(
        lambda: pool.fetchval("SELECT count(*) FROM archive WHERE ticket_no = ANY($1)", ticket_nos)
    )
    return {r["status"]: r["n"] for r in rows} | {"archived": archived}


async def feedback_dues(pool: asyncpg.Pool, ticket_nos: list[str]) -> dict[str, datetime]:
    """Each ticket's no-answer deadline as the read model shows it (tickets awaiting feedback only)."""
    rows = await pool.fetch(
        "SELECT ticket_no, (view->'deadlines'->>'feedback_due')::timestamptz AS due FROM tickets"
        " WHERE ticket_no = ANY($1) AND status = 'awaiting_feedback'",
        ticket_nos,
    )
    return {r["ticket_no"]: r["due"] for r in rows if r["due"] is not None}


async def wait_archived(pool: asyncpg.Pool, ticket_nos: list[str], timeout_s: float = 240) -> float:
    """Seconds until every ticket has its archive row and its closing notice is delivered (the closure
    notice goes out with the archive, so it may land just after the row)."""

    async def all_archived() -> bool:
        n = await reading(
            lambda: pool.fetchval("SELECT count(*) FROM archive WHERE ticket_no = ANY($1)", ticket_nos)
        )
        pending = await reading(
            lambda: pool.fetchval(
                "SELECT count(*) FROM notifications WHERE ticket_no = ANY($1) AND delivered_at IS NULL",
                ticket_nos,
            )
        )
        return bool(n == len(ticket_nos) and pending == 0)

    return await until(all_archived, f"{len(ticket_nos)} tickets archived", timeout_s, every=0.5)


@dataclass
class Exact:
    """What a test ends with; each figure is asserted exact by `exact_counts`."""

    tickets: int
    archive_rows: int
    events: int
    notifications: int
    customer_notices: int
    # Deliveries the customers' sink accepted for these tickets, and the keys among them accepted twice.
    customer_deliveries: int
    redelivered: int


async def exact_counts(
    pool: asyncpg.Pool,
    ticket_nos: list[str],
    customers: WebhookReceiver,
    repeats_only_before: float | None = None,
) -> Exact:
    """Every ticket archived exactly once, its timeline whole and single, every notification sent once:
    one archive row a ticket; seq 1..n with no gap, one `opened`, one `closed`, the same n events in the
    archived record; every notification delivered, one `assigned` message per `assigned` event and one
    `callback` task per `callback` event (a redelivery would be a second key: ticket:seq:audience:recipient);
    each customer told once that the ticket was received, once per callback, once that it closed.

    At the customers' sink (the integrators' webhook), counted per delivery key: exactly the desk's
    customer keys arrive, no other. Delivery is at least once with a stable key for the receiver to drop
    a repeat: a worker or database lost between the receiver's 200 and the desk's record of it sends again.
    So a key arrives exactly once, unless `repeats_only_before` (monotonic seconds: the kill, or the end of
    an outage) is given; then a key may arrive again only if it first arrived before that moment.
    """
    assert len(set(ticket_nos)) == len(ticket_nos)
    rows = await pool.fetchval("SELECT count(*) FROM archive WHERE ticket_no = ANY($1)", ticket_nos)
    assert rows == len(ticket_nos)
    per_ticket = await pool.fetch(
        "SELECT e.ticket_no, count(*) AS n, max(seq) AS top, min(seq) AS low,"
        " count(*) FILTER (WHERE type = 'opened') AS opened,"
        " count(*) FILTER (WHERE type = 'closed') AS closed,"
        " count(*) FILTER (WHERE type = 'assigned') AS assigned,"
        " count(*) FILTER (WHERE type = 'callback') AS callbacks,"
        " jsonb_array_length(a.record->'timeline') AS archived_events"
        " FROM ticket_events e JOIN archive a USING (ticket_no)"
        " WHERE e.ticket_no = ANY($1) GROUP BY e.ticket_no, a.record",
        ticket_nos,
    )
    assert len(per_ticket) == len(ticket_nos)
    for t in per_ticket:
        assert (t["low"], t["top"]) == (1, t["n"]), f"{t['ticket_no']}: timeline has a gap {dict(t)}"
        assert t["opened"] == 1 and t["closed"] == 1, dict(t)
        assert t["archived_events"] == t["n"], dict(t)
    notes = await pool.fetch(
        "SELECT ticket_no, template, count(*) AS n, count(*) FILTER (WHERE delivered_at IS NULL) AS pending"
        " FROM notifications WHERE ticket_no = ANY($1) GROUP BY ticket_no, template",
        ticket_nos,
    )
    sent = {(r["ticket_no"], r["template"]): r["n"] for r in notes}
    assert sum(r["pending"] for r in notes) == 0, [dict(r) for r in notes if r["pending"]]
    for t in per_ticket:
        assert sent.get((t["ticket_no"], "assigned"), 0) == t["assigned"], dict(t)
        assert sent.get((t["ticket_no"], "callback"), 0) == t["callbacks"], dict(t)
        told = (sent.get((t["ticket_no"], "received")), sent.get((t["ticket_no"], "closed")))
        assert told == (1, 1), dict(t)
    customer_keys = {
        r["key"]
        for r in await pool.fetch(
            "SELECT key FROM notifications WHERE ticket_no = ANY($1) AND key LIKE '%:customer:%'", ticket_nos
        )
    }
    # received + closed + one request for feedback a callback, a ticket; every one to the customer.
    assert len(customer_keys) == sum(2 + t["callbacks"] for t in per_ticket), sorted(customer_keys)
    arrived = sink_deliveries(customers, ticket_nos)
    assert set(arrived) == customer_keys, (
        f"missing {sorted(customer_keys - set(arrived))}, unexpected {sorted(set(arrived) - customer_keys)}"
    )
    repeated = {k: at for k, at in arrived.items() if len(at) > 1}
    if repeats_only_before is None:
        assert not repeated, f"delivered more than once: {repeated}"
    else:
        late = {k: at for k, at in repeated.items() if at[0] >= repeats_only_before}
        assert not late, f"delivered again though first delivered after the fault: {late}"
    return Exact(
        tickets=len(ticket_nos),
        archive_rows=rows,
        events=sum(t["n"] for t in per_ticket),
        notifications=sum(sent.values()),
        customer_notices=len(customer_keys),
        customer_deliveries=sum(len(at) for at in arrived.values()),
        redelivered=len(repeated),
    )


def sink_deliveries(sink: WebhookReceiver, ticket_nos: list[str]) -> dict[str, list[float]]:
    """The times (monotonic) the sink accepted each delivery key of these tickets, in order."""
    mine = set(ticket_nos)
    arrived: dict[str, list[float]] = {}
    for r in sink.delivered:
        key = r.headers.get(DELIVERY_HEADER.lower(), "")
        if key.split(":", 1)[0] in mine:
            arrived.setdefault(key, []).append(r.at)
    return arrived
