"""Scenario 4: a member's webhook fails (HTTP 500s, then timeouts) for a while; every notification is
retried with backoff and delivered exactly once after it recovers, its HMAC signature verifying."""

import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tests.faults.driver import Http, exact_counts, gather_limited, intake_body, size, until, wait_archived
from tests.faults.receiver import FailingReceiver
from tests.faults.stack import SECRET, FaultStack

SLACK_S = 1.0


@pytest.fixture
async def receiver(stack: FaultStack) -> AsyncIterator[FailingReceiver]:
    hook = FailingReceiver(secret=SECRET, errors_for=4, hangs_for=8)
    await hook.start()
    # The logistics team (agents and supervisor) is reached by webhook; the other tests use frontline.
    await stack.db.execute("UPDATE members SET webhook_url = $1 WHERE team_id = 'logistics'", hook.url)
    yield hook
    await stack.db.execute("UPDATE members SET webhook_url = NULL WHERE team_id = 'logistics'")
    await hook.stop()


async def test_a_failing_webhook_gets_every_notification_once_after_it_recovers(
    stack: FaultStack, http: Http, receiver: FailingReceiver, figures: Callable[..., Any]
) -> None:
    n = size(4, 20)
    run = uuid.uuid4().hex[:8]
    bodies = [intake_body(f"hook-{run}-{i}", category="logistics") for i in range(n)]
    tickets = await gather_limited(16, *(http.open_ticket(b) for b in bodies))
    # Every ticket was opened (its assignment notice due) while the webhook still refused, with a second
    # to spare: each notice meets the whole outage, not only its end.
    assert time.monotonic() + SLACK_S <= receiver.refuses_until, "the tickets opened after the 500s"

    async def assignments_delivered() -> bool:
        pending = await stack.db.fetchval(
            "SELECT count(*) FILTER (WHERE delivered_at IS NOT NULL) FROM notifications"
            " WHERE ticket_no = ANY($1) AND template = 'assigned'",
            tickets,
        )
        return bool(pending == n)

    waited = await until(assignments_delivered, "assignment notices delivered", timeout_s=120, every=0.5)
    await gather_limited(16, *(http.see_through(t) for t in tickets))
    await wait_archived(stack.db, tickets)
    exact = await exact_counts(stack.db, tickets, stack.customers)

    webhook_keys = {
        r["key"]
        for r in await stack.db.fetch(
            "SELECT key FROM notifications WHERE ticket_no = ANY($1) AND payload->'channels' ? 'webhook'"
            " AND key NOT LIKE '%:customer:%'",  # customers' notices go to the integrators' webhook
            tickets,
        )
    }
    accepted = receiver.accepted()
    assert set(accepted) == webhook_keys and set(accepted.values()) == {1}, accepted
    assert all(a.signed for a in receiver.attempts)
    assert all(a.at >= receiver.recovers_at for a in receiver.attempts if a.answer == "200")
    # Before recovery each assignment notice met both failure modes, at growing intervals.
    first = [k for k in webhook_keys if k.split(":")[1] == "2"]  # seq 2 = the `assigned` event
    assert len(first) == n
    for key in first:
        tries = [a for a in receiver.attempts if a.key == key]
        assert {"500", "hang", "200"} <= {a.answer for a in tries}, tries
        gaps = [b.at - a.at for a, b in zip(tries, tries[1:], strict=False)]
        assert max(gaps) >= 4 * min(gaps), gaps
    figures(
        tickets=n,
        failing_s=receiver.errors_for + receiver.hangs_for,
        webhook_attempts=len(receiver.attempts),
        refused_500=sum(a.answer == "500" for a in receiver.attempts),
        timed_out=sum(a.answer == "hang" for a in receiver.attempts),
        delivered_once=len(accepted),
        signatures_verified=sum(a.signed for a in receiver.attempts),
        assignment_notices_delivered_s=round(waited, 1),
        archive_rows=exact.archive_rows,
        notifications=exact.notifications,
        customer_notices=exact.customer_notices,
        customer_deliveries=exact.customer_deliveries,
    )
