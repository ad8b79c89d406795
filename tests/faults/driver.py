"""Driving tickets through the HTTP API as integrators and agents do (retrying what a fault interrupts), and
the exact counts every fault test ends with."""

import asyncio
import os
import time
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
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
        """The assignee acknowledges and resolves; the ticket then closes by itself (no feedback: 2 s)."""
        assert self.stack.keys is not None
        deadline = time.monotonic() + deadline_s
        for action, after, body in (
            ("acknowledge", {"in_progress"}, {}),
            ("resolve", {"awaiting_feedback", "closed"}, RESOLVE),
        ):
            while True:
                assert time.monotonic() < deadline, f"{ticket_no} stuck before {action}"
                row = await _read_model(self.stack.db, ticket_no)
                if row is None or row["assignee"] is None:
                    await asyncio.sleep(0.3)
                    continue
                if row["status"] in after or row["status"] in {"awaiting_feedback", "closed"}:
                    break
                key = self.stack.keys.agents[row["assignee"]]
                r = await self.post(f"/tickets/{ticket_no}/{action}", key, body)
                if r is not None and r.status_code == 200:
                    break
                # 409 (the earlier call went through but its answer was lost) or 503: look again.
                await asyncio.sleep(0.5)


async def _read_model(pool: asyncpg.Pool, ticket_no: str) -> asyncpg.Record | None:
    for _ in range(600):
        try:
            row: asyncpg.Record | None = await pool.fetchrow(
                "SELECT status, assignee FROM tickets WHERE ticket_no = $1", ticket_no
            )
            return row
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError):
            await asyncio.sleep(0.5)  # the test's own reads wait out a Postgres outage too
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


async def wait_archived(pool: asyncpg.Pool, ticket_nos: list[str], timeout_s: float = 240) -> float:
    """Seconds until every ticket has its archive row and its closing notice is delivered (the closure
    notice goes out with the archive, so it may land just after the row)."""

    async def all_archived() -> bool:
        n = await pool.fetchval("SELECT count(*) FROM archive WHERE ticket_no = ANY($1)", ticket_nos)
        pending = await pool.fetchval(
            "SELECT count(*) FROM notifications WHERE ticket_no = ANY($1) AND delivered_at IS NULL",
            ticket_nos,
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


async def exact_counts(pool: asyncpg.Pool, ticket_nos: list[str], customers: WebhookReceiver) -> Exact:
    """Every ticket archived exactly once, its timeline whole and single, every notification sent once:
    one archive row a ticket; seq 1..n with no gap, one `opened`, one `closed`, the same n events in the
    archived record; every notification delivered, one `assigned` message per `assigned` event and one
    `callback` task per `callback` event (a redelivery would be a second key: ticket:seq:audience:recipient);
    each customer told once that the ticket was received and once that it closed, and the integrators'
    webhook given every customer notice.
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
    accepted = Counter(r.headers.get(DELIVERY_HEADER.lower()) for r in customers.delivered)
    # At least once on the wire (a worker killed between the 200 and its record sends again, under the
    # same delivery key for the integrator to drop); once in the desk's own record.
    assert not [k for k in customer_keys if accepted[k] < 1], "customer notices never delivered"
    return Exact(
        tickets=len(ticket_nos),
        archive_rows=rows,
        events=sum(t["n"] for t in per_ticket),
        notifications=sum(sent.values()),
        customer_notices=len(customer_keys),
    )
