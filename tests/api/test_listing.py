"""`GET /tickets`: filters over the read model, keyset pagination, and each role's scope."""

from datetime import UTC, datetime, timedelta

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


async def test_work_list_nearest_deadline_then_priority_with_its_filters(
    api: httpx.AsyncClient, keys: Keys, pool: asyncpg.Pool
) -> None:
    """Seed 001 (高优先级工单优先): the work list puts the nearest deadline first, a tie to the higher
    priority, and each row says which deadline it is; mine / my team / due within / triage / waiting."""
    now = datetime.now(UTC)
    numbers = []
    for priority in (Priority.URGENT, Priority.LOW, Priority.HIGH, Priority.MEDIUM, Priority.MEDIUM):
        new = store.NewTicket(
            request=IntakeRequest.model_validate(intake_body(description="wl-marker 工单")),
            priority=priority,
            opened_at=now,
        )
        numbers.append((await store.open_ticket(pool, new)).ticket_no)
    urgent, low, high, waiting, closed = numbers
    set_ = "UPDATE tickets SET team = $2, assignee = $3, status = $4, {} WHERE ticket_no = $1"
    await pool.execute(
        set_.format("resolve_due = $5"), urgent, "tech", "tech-1", "in_progress", now + timedelta(hours=30)
    )
    await pool.execute(
        set_.format("response_due = $5, resolve_due = $6"),
        low,
        "frontline",
        "frontline-1",
        "in_progress",
        now + timedelta(hours=1),
        now + timedelta(hours=40),
    )
    await pool.execute(
        set_.format("ack_due = $5"), high, "frontline", "frontline-2", "assigned", now + timedelta(hours=1)
    )
    await pool.execute(
        set_.format("view = '{\"needs_triage\": true}'"),
        waiting,
        "frontline",
        "frontline-1",
        "waiting_customer",
    )
    await pool.execute(set_.format("closed_at = now()"), closed, "frontline", None, "closed")
    admin = headers(keys.admin)

    async def listed(query: str, key: dict[str, str] = admin) -> list[str]:
        r = await api.get(f"/tickets?q=wl-marker&{query}", headers=key)
        assert r.status_code == 200, r.text
        return [t["ticket_no"] for t in r.json()["items"]]

    # Low and high are both due in an hour: high first; then urgent's resolution in 30 h; no deadline last.
    assert await listed("sort=due") == [high, low, urgent, waiting, closed]
    rows = (await api.get("/tickets?q=wl-marker&sort=due", headers=admin)).json()["items"]
    assert [(r["next_due_kind"], r["next_due"] is not None) for r in rows] == [
        ("ack", True),
        ("response", True),
        ("resolve", True),
        (None, False),
        (None, False),
    ]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"q": "wl-marker", "sort": "due", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await api.get("/tickets", params=params, headers=admin)).json()
        seen += [t["ticket_no"] for t in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == [high, low, urgent, waiting, closed]

    assert await listed("sort=due&due_within_hours=2") == [high, low]
    assert await listed("sort=due&due_within_hours=31") == [high, low, urgent]
    assert await listed("sort=due&mine=true", headers(keys.agent)) == [low, waiting]
    assert await listed("sort=due&my_team=true", headers(keys.supervisor)) == [high, low, waiting, closed]
    assert await listed("needs_triage=true") == [waiting]
    assert await listed("waiting_for_customer=true") == [waiting]
    assert await listed("waiting_for_customer=true&status=new") == []
    assert await listed("mine=true") == []  # an admin's key acts for no member: holds no ticket
    r = await api.get("/tickets?sort=nearest", headers=admin)
    assert r.status_code == 422 and r.json()["error"]["field"] == "sort"
