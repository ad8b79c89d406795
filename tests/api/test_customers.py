"""Customers as people (seed 003): one customer across tickets, repeat contacts seen and told."""

import asyncio
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from store import audit
from tests.api.conftest import Keys, headers
from tests.api.helpers import EMAIL, assigned, intake_body


async def _open(api: httpx.AsyncClient, keys: Keys, **overrides: Any) -> dict[str, Any]:
    r = await api.post("/tickets", json=intake_body(**overrides), headers=headers(keys.integrator))
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_two_intakes_from_one_phone_make_one_customer_with_two_tickets_and_a_repeat_mark(
    api: httpx.AsyncClient, keys: Keys, pool: asyncpg.Pool
) -> None:
    phone = "13700001111"
    first = await _open(api, keys, customer={"name": "赵六", "phone": phone}, category="logistics")
    again = await _open(
        api,
        keys,
        channel="chat",
        customer={"name": "赵六", "phone": "+86 137-0000-1111"},
        category="logistics",
    )
    assert again["customer_id"] == first["customer_id"]
    assert (first["repeat_count"], again["repeat_count"]) == (0, 1)
    assert again["repeat_of"] == first["ticket_no"]
    assert await pool.fetchval("SELECT count(*) FROM customers WHERE phone LIKE '%0000%1111'") == 1
    listed = await api.get(f"/customers/{first['customer_id']}/tickets", headers=headers(keys.supervisor))
    assert [t["ticket_no"] for t in listed.json()["items"]] == [again["ticket_no"], first["ticket_no"]]
    other = await _open(api, keys, customer={"name": "赵六", "phone": phone}, category="how_to")
    assert other["customer_id"] == first["customer_id"] and other["repeat_count"] == 0  # another category


async def test_a_repeat_is_the_same_category_within_7_days_and_not_a_day_after(
    api: httpx.AsyncClient, keys: Keys, pool: asyncpg.Pool
) -> None:
    """Seed 003: an earlier ticket 6 days 23 hours old makes a repeat contact; one 7 days 1 hour old not."""
    for phone, age, repeat in (
        ("13700002222", timedelta(days=7) - timedelta(hours=1), 1),
        ("13700003333", timedelta(days=7) + timedelta(hours=1), 0),
    ):
        first = await _open(api, keys, customer={"name": "钱七", "phone": phone}, category="logistics")
        await pool.execute(
            "UPDATE tickets SET created_at = now() - $2::interval WHERE ticket_no = $1",
            first["ticket_no"],
            age,
        )
        again = await _open(api, keys, customer={"name": "钱七", "phone": phone}, category="logistics")
        assert again["repeat_count"] == repeat, age
        assert again["repeat_of"] == (first["ticket_no"] if repeat else None)


async def test_the_second_repeat_tells_the_lead_supervisor_at_intake(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    customer = {"name": "钱七", "email": "qian.qi@example.com"}
    tickets = [await _open(api, keys, customer=customer, category="how_to") for _ in range(3)]
    assert [t["repeat_count"] for t in tickets] == [0, 1, 2]
    third = tickets[2]["ticket_no"]
    await assigned(env.client, third)
    for _ in range(100):
        told = await pool.fetch(
            "SELECT recipient FROM notifications WHERE ticket_no = $1 AND template = 'repeat_contact_intake'",
            third,
        )
        if told:
            break
        await asyncio.sleep(0.1)
    assert [r["recipient"] for r in told] == ["frontline-sup"]
    second = await pool.fetchval(
        "SELECT count(*) FROM notifications WHERE ticket_no = $1 AND template LIKE '%_intake'",
        tickets[1]["ticket_no"],
    )
    assert second == 0


async def test_the_integrators_customer_id_finds_the_person_whatever_contact_they_give(
    api: httpx.AsyncClient, keys: Keys
) -> None:
    a = await _open(api, keys, customer={"id": "crm-42", "name": "孙八", "phone": "13600002222"})
    b = await _open(api, keys, customer={"id": "crm-42", "name": "孙八", "email": "sun.ba@example.com"})
    assert a["customer_id"] == b["customer_id"]


async def test_a_customer_record_is_masked_but_for_admins_and_every_read_is_audited(
    api: httpx.AsyncClient, keys: Keys, pool: asyncpg.Pool
) -> None:
    ticket = await _open(api, keys, customer={"name": "李四光", "phone": "13500003333", "email": EMAIL})
    url = f"/customers/{ticket['customer_id']}"
    sup = (await api.get(url, headers=headers(keys.supervisor))).json()
    assert (sup["display_name"], sup["phone"]) == ("李*", "135****3333")
    assert sup["open_tickets"] == 1 and sup["recent_tickets"] == 1
    admin = (await api.get(url, headers=headers(keys.admin))).json()
    assert (admin["display_name"], admin["phone"]) == ("李四光", "13500003333")
    stranger = await api.get(url, headers=headers(keys.agent))
    assert stranger.status_code == 404  # an agent holding none of their tickets
    assert (await api.get("/customers/999999999", headers=headers(keys.admin))).status_code == 404
    reads = await audit.entries_for_customer(pool, ticket["customer_id"])
    assert [e.what for e in reads] == ["customer", "customer"]


async def test_the_intake_answer_names_the_lead_and_collaborating_teams_and_the_due_times(
    api: httpx.AsyncClient, keys: Keys
) -> None:
    body = await _open(api, keys)  # system_fault: led by tech, frontline collaborates
    assert (body["team"], body["collaborators"]) == ("tech", ["frontline"])
    assert body["deadlines"]["response_due"] and body["deadlines"]["resolve_due"]
