"""`POST /tickets`: numbering, idempotency per (channel, external_id), concurrency, crash recovery."""

import asyncio
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from domain.enums import Priority
from domain.intake import IntakeRequest
from store import intake as store
from tests.api.conftest import Keys, headers
from tests.api.helpers import EMAIL, NAME, PHONE, history_text, intake_body


async def _runs(env: WorkflowEnvironment, workflow_id: str) -> int:
    """How many runs Temporal's visibility lists for this id (visibility lags a start: wait for the first)."""
    for _ in range(50):
        runs = [w async for w in env.client.list_workflows(f"WorkflowId = '{workflow_id}'")]
        if runs:
            return len(runs)
        await asyncio.sleep(0.1)
    return 0


async def test_open_ticket_answers_201_with_number_status_and_deadlines(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment
) -> None:
    # A VIP's targets count around the clock (the shipped [targets.calendar] tiers), so the due times are
    # plain sums: medium, 24 h to first response and 72 h to resolve (seeds 000, 002).
    vip = intake_body()
    vip["customer"] = {**vip["customer"], "tier": "vip"}
    before = datetime.now(UTC)
    r = await api.post("/tickets", json=vip, headers=headers(keys.integrator))
    after = datetime.now(UTC)
    assert r.status_code == 201, r.text
    body = r.json()
    # The month of the request, whichever side of a month's end it fell on.
    months = "|".join({f"{before:%Y%m}", f"{after:%Y%m}"})
    assert re.fullmatch(rf"({months})-\d{{6}}", body["ticket_no"])
    assert body["status"] == "new" and body["created"] is True
    assert body["priority"] == "medium"  # the policy's default
    opened = datetime.fromisoformat(body["opened_at"])
    assert before <= opened <= after
    assert datetime.fromisoformat(body["deadlines"]["response_due"]) == opened + timedelta(hours=24)
    assert datetime.fromisoformat(body["deadlines"]["resolve_due"]) == opened + timedelta(hours=72)
    desc = await env.client.get_workflow_handle(body["ticket_no"]).describe()
    assert desc.workflow_type == "TicketWorkflow"


async def test_same_channel_and_external_id_again_answers_200_with_the_same_ticket(
    api: httpx.AsyncClient, keys: Keys
) -> None:
    body = intake_body()
    first = await api.post("/tickets", json=body, headers=headers(keys.integrator))
    again = await api.post("/tickets", json=body, headers=headers(keys.integrator))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["ticket_no"] == first.json()["ticket_no"]
    assert again.json()["created"] is False


async def test_priority_defaults_by_policy_rule(api: httpx.AsyncClient, keys: Keys) -> None:
    vip = intake_body(kind="complaint", category="service_attitude")
    vip["customer"] = {**vip["customer"], "tier": "vip"}
    r = await api.post("/tickets", json=vip, headers=headers(keys.integrator))
    assert r.json()["priority"] == "high"
    given = await api.post("/tickets", json=intake_body(priority="urgent"), headers=headers(keys.integrator))
    assert given.json()["priority"] == "urgent"


async def test_fifty_identical_concurrent_intakes_open_one_ticket_and_one_workflow(
    api: httpx.AsyncClient, keys: Keys, pool: asyncpg.Pool, env: WorkflowEnvironment
) -> None:
    body = intake_body()
    replies = await asyncio.gather(
        *(api.post("/tickets", json=body, headers=headers(keys.integrator)) for _ in range(50))
    )
    assert sorted(r.status_code for r in replies) == [200] * 49 + [201]
    numbers = {r.json()["ticket_no"] for r in replies}
    assert len(numbers) == 1
    rows = await pool.fetchval("SELECT count(*) FROM tickets WHERE external_id = $1", body["external_id"])
    assert rows == 1
    (ticket_no,) = numbers
    assert await _runs(env, ticket_no) == 1
    assert await pool.fetchval("SELECT workflow_started FROM tickets WHERE ticket_no = $1", ticket_no)


async def test_different_tickets_opened_at_once_get_distinct_consecutive_numbers(
    api: httpx.AsyncClient, keys: Keys
) -> None:
    replies = await asyncio.gather(
        *(api.post("/tickets", json=intake_body(), headers=headers(keys.integrator)) for _ in range(20))
    )
    assert {r.status_code for r in replies} == {201}
    numbers = sorted(int(r.json()["ticket_no"].split("-")[1]) for r in replies)
    assert numbers == list(range(numbers[0], numbers[0] + 20))


async def test_numbers_restart_each_month(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        first = await store.allocate_ticket_no(conn, datetime(2031, 2, 28, 23, 59, tzinfo=UTC))
        second = await store.allocate_ticket_no(conn, datetime(2031, 2, 28, 23, 59, tzinfo=UTC))
        march = await store.allocate_ticket_no(conn, datetime(2031, 3, 1, tzinfo=UTC))
    assert (first, second, march) == ("203102-000001", "203102-000002", "203103-000001")
    await pool.execute("INSERT INTO ticket_counters (month, last) VALUES ('203104', 999999)")
    async with pool.acquire() as conn:
        busy = await store.allocate_ticket_no(conn, datetime(2031, 4, 30, tzinfo=UTC))
    assert busy == "203104-1000000"  # a millionth ticket in a month widens the number, never wraps it


async def test_the_record_intake_answers_with_is_the_one_a_repeat_reads_back(pool: asyncpg.Pool) -> None:
    """Intake answers from what it wrote, without reading it back: a repeat, which does read it, finds
    the same ticket, customer and deadlines."""
    body = intake_body()
    body["customer"]["email"] = "Li.Si@Example.COM"
    body["customer"]["preferred_contact"] = "email"
    req = IntakeRequest.model_validate(body)
    now = datetime.now(UTC)
    new = store.NewTicket(
        request=req,
        priority=Priority.HIGH,
        opened_at=now,
        response_due=now,
        resolve_due=now.replace(year=2099),
    )
    first = await store.open_ticket(pool, new)
    again = await store.open_ticket(pool, new)
    assert (first.created, again.created) == (True, False)
    assert again == first.model_copy(update={"created": False})
    customers = await pool.fetchval("SELECT count(*) FROM customers WHERE id = $1", first.customer_id)
    assert customers == 1


async def test_a_retry_after_a_crash_between_numbering_and_start_finishes_the_job(
    api: httpx.AsyncClient, keys: Keys, pool: asyncpg.Pool, env: WorkflowEnvironment
) -> None:
    body = intake_body()
    # The crash: the rows are written and the number allocated, but no workflow was started.
    crashed = await store.open_ticket(
        pool,
        store.NewTicket(
            request=IntakeRequest.model_validate(body), priority=Priority.LOW, opened_at=datetime.now(UTC)
        ),
    )
    assert not crashed.workflow_started
    r = await api.post("/tickets", json=body, headers=headers(keys.integrator))
    assert r.status_code == 200 and r.json()["ticket_no"] == crashed.ticket_no
    await env.client.get_workflow_handle(crashed.ticket_no).describe()
    assert await pool.fetchval("SELECT workflow_started FROM tickets WHERE ticket_no = $1", crashed.ticket_no)
    # And a start that finds the workflow already running (crash after start, before the flag) is success.
    await pool.execute("UPDATE tickets SET workflow_started = false WHERE ticket_no = $1", crashed.ticket_no)
    again = await api.post("/tickets", json=body, headers=headers(keys.integrator))
    assert again.status_code == 200
    assert await _runs(env, crashed.ticket_no) == 1


async def test_raw_contact_never_reaches_temporal(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment
) -> None:
    r = await api.post("/tickets", json=intake_body(), headers=headers(keys.integrator))
    ticket_no = r.json()["ticket_no"]
    handle = env.client.get_workflow_handle(ticket_no)
    await api.get(f"/tickets/{ticket_no}", headers=headers(keys.admin))  # let a task or two run
    history = history_text((await handle.fetch_history()).to_json())
    for secret in (NAME, PHONE, EMAIL, "lisiguang", "12345678", "付款页面"):
        assert secret not in history and json.dumps(secret)[1:-1] not in history, secret
    assert "138****5678" in history and "李*" in history


async def test_bad_input_answers_422_naming_the_field(api: httpx.AsyncClient, keys: Keys) -> None:
    r = await api.post("/tickets", json=intake_body(kind="nonsense"), headers=headers(keys.integrator))
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "kind"
    body = intake_body()
    body["customer"] = {"name": "x", "phone": "not-a-phone!"}
    r = await api.post("/tickets", json=body, headers=headers(keys.integrator))
    assert r.status_code == 422 and r.json()["error"]["field"] == "customer.phone"


async def test_intake_needs_an_integrator_key_for_its_channel(api: httpx.AsyncClient, keys: Keys) -> None:
    assert (await api.post("/tickets", json=intake_body())).status_code == 401
    r = await api.post("/tickets", json=intake_body(), headers=headers("tfk_forged"))
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert (await api.post("/tickets", json=intake_body(), headers=headers(keys.agent))).status_code == 403
    email = intake_body(channel="email")
    r = await api.post("/tickets", json=email, headers=headers(keys.phone_integrator))
    assert r.status_code == 403 and r.json()["error"]["field"] == "channel"
    ok = await api.post("/tickets", json=intake_body(), headers=headers(keys.phone_integrator))
    assert ok.status_code == 201


async def test_five_tickets_of_one_product_within_two_hours_open_one_incident_linking_all_five(
    api: httpx.AsyncClient, keys: Keys, pool: asyncpg.Pool
) -> None:
    """Seed 003: intake counts every new ticket towards its category's hotspot (signal-with-start)."""
    product = f"router-{uuid.uuid4().hex[:6]}"
    numbers = []
    for i in range(5):
        body = intake_body(category="product_quality", product=product, external_id=f"hot-{product}-{i}")
        r = await api.post("/tickets", json=body, headers=headers(keys.integrator))
        assert r.status_code == 201, r.text
        numbers.append(r.json()["ticket_no"])
    linked: list[str] = []
    for _ in range(100):
        rows = await pool.fetch(
            "SELECT i.id, t.ticket_no FROM incidents i JOIN incident_tickets t ON t.incident_id = i.id"
            " WHERE i.product = $1",
            product,
        )
        linked = sorted(r["ticket_no"] for r in rows)
        if len(linked) == 5:
            break
        await asyncio.sleep(0.2)
    assert linked == sorted(numbers)
    assert len({r["id"] for r in rows}) == 1
