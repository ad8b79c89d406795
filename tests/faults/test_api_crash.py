"""Scenario 5: the API dies between allocating a ticket number and starting the workflow; the
integrator's retry, answered by a fresh API process, finishes that same ticket."""

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio.service import RPCError, RPCStatusCode

from domain.enums import Priority
from domain.intake import IntakeRequest
from store import intake as store
from tests.faults.driver import (
    Http,
    cancelled,
    exact_counts,
    gather_limited,
    intake_body,
    size,
    until,
    wait_archived,
)
from tests.faults.stack import FaultStack


async def test_the_retry_after_a_crash_between_numbering_and_start_finishes_the_same_ticket(
    stack: FaultStack, http: Http, figures: Callable[..., Any]
) -> None:
    # Exactly what the crash leaves: customer and ticket rows, a number allocated, no workflow.
    body = intake_body(f"halfway-{uuid.uuid4().hex[:8]}")
    left = await store.open_ticket(
        stack.db,
        store.NewTicket(
            request=IntakeRequest.model_validate(body), priority=Priority.MEDIUM, opened_at=datetime.now(UTC)
        ),
    )
    assert not left.workflow_started
    stack.sigkill(stack.api)
    # At the kill: the ticket numbered in the store, no workflow of that number in Temporal.
    client = await stack.temporal_client()
    with pytest.raises(RPCError) as missing:
        await client.get_workflow_handle(left.ticket_no).describe()
    assert missing.value.status is RPCStatusCode.NOT_FOUND
    await stack.start_api()

    assert stack.keys is not None
    retry = await http.post("/tickets", stack.keys.integrator, body)
    assert retry is not None and retry.status_code == 200, retry
    assert retry.json()["ticket_no"] == left.ticket_no
    assert await stack.db.fetchval(
        "SELECT workflow_started FROM tickets WHERE ticket_no = $1", left.ticket_no
    )
    await http.see_through(left.ticket_no)
    await wait_archived(stack.db, [left.ticket_no])
    exact = await exact_counts(stack.db, [left.ticket_no], stack.customers)
    figures(
        ticket=left.ticket_no,
        archive_rows=exact.archive_rows,
        events=exact.events,
        customer_deliveries=exact.customer_deliveries,
    )


async def test_an_api_killed_during_a_burst_of_intakes_opens_each_ticket_once(
    stack: FaultStack, http: Http, figures: Callable[..., Any]
) -> None:
    n = size(40, 200)
    run = uuid.uuid4().hex[:8]
    external_ids = [f"burst-{run}-{i}" for i in range(n)]

    # The integrators keep retrying through the crash (connection refused while no API runs).
    async def a_third_opened() -> bool:
        opened = "SELECT count(*) FROM tickets WHERE external_id = ANY($1)"
        return bool(await stack.db.fetchval(opened, external_ids) >= n // 3)

    # The integrators keep retrying through the crash (connection refused while no API runs).
    burst = asyncio.create_task(gather_limited(16, *(http.open_ticket(intake_body(e)) for e in external_ids)))
    try:
        await until(a_third_opened, "a third of the burst opened", every=0.02)
        stack.sigkill(stack.api)
        # The API is gone: the store shows what the kill left. Mid-burst: a third opened or more, not all;
        # and some numbered without their workflow, which only the integrators' retries can finish.
        at_kill = await stack.db.fetchrow(
            "SELECT count(*) AS opened, count(*) FILTER (WHERE NOT workflow_started) AS half_opened"
            " FROM tickets WHERE external_id = ANY($1)",
            external_ids,
        )
        assert at_kill is not None
        assert n // 3 <= at_kill["opened"] < n and at_kill["half_opened"] >= 1, dict(at_kill)
        await asyncio.sleep(1)
        await stack.start_api()
        tickets = await burst
    finally:
        await cancelled(burst)

    assert len(set(tickets)) == n
    rows = await stack.db.fetchrow(
        "SELECT count(*) AS n, count(*) FILTER (WHERE workflow_started) AS started,"
        " max(split_part(ticket_no, '-', 2)::int) - min(split_part(ticket_no, '-', 2)::int) + 1 AS span"
        " FROM tickets WHERE external_id = ANY($1)",
        external_ids,
    )
    assert rows is not None
    # One ticket an intake, each with its workflow, and no number lost to the crash.
    assert (rows["n"], rows["started"], rows["span"]) == (n, n, n), dict(rows)
    await gather_limited(16, *(http.see_through(t) for t in tickets))
    await wait_archived(stack.db, tickets)
    exact = await exact_counts(stack.db, tickets, stack.customers)
    figures(
        intakes=n,
        opened_at_kill=at_kill["opened"],
        half_opened_at_kill=at_kill["half_opened"],
        dropped_connections_retried=http.transport_errors,
        tickets=rows["n"],
        workflows_started=rows["started"],
        number_span=rows["span"],
        archive_rows=exact.archive_rows,
        events=exact.events,
        customer_notices=exact.customer_notices,
        customer_deliveries=exact.customer_deliveries,
        http=dict(http.statuses),
    )
