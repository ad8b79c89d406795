"""`GET /tickets`: filters over the read model, keyset pagination, and each role's scope."""

from datetime import UTC, datetime

import asyncpg
import httpx

from domain.enums import Priority
from domain.intake import IntakeRequest
from store import intake as store
from tests.api.conftest import Keys, headers
from tests.api.helpers import NAME, intake_body


async def _open_many(pool: asyncpg.Pool) -> list[str]:
    """Tickets in the read model only: no workflow, so no activity rewrites the rows under the test."""
    numbers = []
    for i in range(7):
        body = intake_body(description=f"marker-{i} printer on fire" if i < 3 else f"marker-{i} parcel lost")
        priority = Priority.URGENT if i % 2 else Priority.LOW
        new = store.NewTicket(
            request=IntakeRequest.model_validate(body), priority=priority, opened_at=datetime.now(UTC)
        )
        numbers.append((await store.open_ticket(pool, new)).ticket_no)
    # The read model as activities keep it: teams, assignees, breaches.
    await pool.execute(
        "UPDATE tickets SET team = 'frontline', assignee = 'frontline-1', escalation_level = 1,"
        " sla_breached = true WHERE ticket_no = ANY($1)",
        numbers[:2],
    )
    await pool.execute(
        "UPDATE tickets SET team = 'tech', assignee = 'tech-1' WHERE ticket_no = ANY($1)", numbers[2:]
    )
    return numbers


async def test_filters_pagination_and_scopes(api: httpx.AsyncClient, keys: Keys, pool: asyncpg.Pool) -> None:
    numbers = await _open_many(pool)
    admin = headers(keys.admin)

    async def listed(query: str, key: dict[str, str] = admin) -> list[str]:
        r = await api.get(f"/tickets?{query}", headers=key)
        assert r.status_code == 200, r.text
        return [t["ticket_no"] for t in r.json()["items"]]

    assert await listed("") == numbers[::-1]  # newest first
    assert await listed("priority=urgent") == [n for i, n in enumerate(numbers) if i % 2][::-1]
    assert await listed("q=printer") == numbers[:3][::-1]
    assert await listed("q=100%25") == []  # LIKE metacharacters are literal
    assert await listed("team=tech&breached=false") == numbers[2:][::-1]
    assert await listed("escalation_level=1") == numbers[:2][::-1]
    assert (
        await listed("assignee=tech-1&status=new&kind=fault_report&category=system_fault")
        == numbers[2:][::-1]
    )
    created = (await api.get("/tickets?limit=1", headers=admin)).json()["items"][0]["created_at"]
    assert await listed(f"created_to={created.replace('+', '%2B')}") == numbers[:-1][::-1]

    seen: list[str] = []
    cursor = None
    while True:
        r = await api.get(
            "/tickets", params={"limit": 3, **({"cursor": cursor} if cursor else {})}, headers=admin
        )
        page = r.json()
        seen += [t["ticket_no"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == numbers[::-1]

    assert await listed("", headers(keys.agent)) == numbers[:2][::-1]  # agents: their own tickets
    assert await listed("", headers(keys.supervisor)) == numbers[:2][::-1]  # supervisors: their team's
    assert await listed("", headers(keys.other_supervisor)) == numbers[2:][::-1]
    phone = await listed("", headers(keys.phone_integrator))
    assert phone == numbers[::-1]

    r = await api.get("/tickets", headers=admin)
    assert r.json()["items"][0]["customer_display"] == "李*" and NAME not in r.text


async def test_bad_filters_answer_422_naming_the_field(api: httpx.AsyncClient, keys: Keys) -> None:
    for query, field in (
        ("cursor=not-a-cursor", "cursor"),
        ("status=bogus", "status"),
        ("limit=0", "limit"),
        ("created_from=yesterday", "created_from"),
    ):
        r = await api.get(f"/tickets?{query}", headers=headers(keys.admin))
        assert r.status_code == 422, query
        assert r.json()["error"]["field"] == field
    assert (await api.get("/tickets")).status_code == 401
