"""The reports' working-together figures (issue 23) on known data of ISO week 2026-W49 (Asia/Shanghai),
which spans November's last day and December's first six: collaboration requests per asked team and their
on-time rate (seeds 002, 004: 需24h内反馈), compensation by month and category (seeds 000–002), exact."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from api import errors
from api import reports as reports_api
from api.report_page import render_weekly
from domain.enums import ApiRole
from domain.policy import Policy
from domain.report import MONTHLY_KIND, WeeklyReport, week_bounds
from infra.settings import Settings
from store import reports
from store.api_keys import NewApiKey, create_api_key
from store.directory import seed_demo

WEEK = "2026-W49"  # Monday 30 November to Monday 7 December 2026, Shanghai time
SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
# The report is made on Monday 7 December, 09:00 there: every request of the week is due by then, but one.
MADE_AT = datetime(2026, 12, 7, 1, tzinfo=UTC)  # Monday 09:00 in Shanghai, the schedule's hour


def local(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


# ticket: [(asked_at, team, answered: on_time True/False or None, escalated)]; each due 24 h after asking.
COLLABORATIONS: dict[str, list[tuple[datetime, str, bool | None, bool]]] = {
    "202611-490001": [
        (local(30, 10, month=11), "tech", True, False),  # answered within the 24 h
        (local(2, 10), "logistics", False, True),  # late: escalated to logistics' supervisor, then answered
    ],
    "202612-490002": [
        (local(3, 9), "tech", None, True),  # never answered: late and open
        (local(6, 20), "tech", None, False),  # due Monday 20:00, after the report was made: not late yet
    ],
    "202611-490003": [
        (local(29, 10, month=11), "tech", True, False),  # asked the week before: in no figure
    ],
    "202612-490004": [
        (local(7, 0, 30), "logistics", None, False),  # asked the week after
    ],
}

# ticket: (category, closed_at, offer type, amount, currency, status at closing)
COMPENSATED: dict[str, tuple[str, datetime, str, str, str, str]] = {
    "202611-490101": ("after_sales_refund", local(30, 15, month=11), "refund", "300.00", "CNY", "accepted"),
    "202612-490102": ("after_sales_refund", local(2, 11), "refund", "80.50", "CNY", "accepted"),
    "202612-490103": ("after_sales_refund", local(3, 16), "refund", "120.00", "CNY", "declined"),
    "202612-490104": ("product_quality", local(4, 9), "replacement", "899.00", "CNY", "approved"),
    "202612-490105": ("product_quality", local(5, 9), "coupon", "20.00", "USD", "accepted"),
    "202612-490106": ("after_sales_refund", local(5, 10), "refund", "50.00", "CNY", "pending_approval"),
    "202611-490107": ("after_sales_refund", local(29, 10, month=11), "refund", "999.00", "CNY", "accepted"),
    "202612-490108": ("after_sales_refund", local(7, 1), "refund", "10.00", "CNY", "accepted"),
}
# Closed in the week without any compensation: in no compensation figure.
UNCOMPENSATED = {"202612-490109": ("after_sales_refund", local(4, 12))}


async def _ticket(pool: asyncpg.Pool, customer: int, no: str, category: str, closed: datetime | None) -> None:
    opened = (closed or local(1, 8)) - 5 * H
    await pool.execute(
        "INSERT INTO tickets (ticket_no, channel, external_id, customer_id, kind, category, priority, status,"
        " team, description, created_at, closed_at)"
        " VALUES ($1, 'phone', $1, $2, 'complaint', $3, 'medium', $4, 'frontline', 'd', $5, $6)",
        no, customer, category, "closed" if closed else "in_progress", opened, closed,
    )  # fmt: skip


async def _archive(pool: asyncpg.Pool, no: str, category: str, closed: datetime, comp: Any) -> None:
    ticket = {
        "ticket_no": no, "category": category, "team": "frontline", "priority": "medium",
        "opened_at": (closed - 5 * H).isoformat(), "closed_at": closed.isoformat(), "compensation": comp,
    }  # fmt: skip
    record = {"ticket": ticket, "deadlines": [], "close_reason": "satisfied"}
    await pool.execute(
        "INSERT INTO archive (ticket_no, record, closed_at) VALUES ($1, $2, $3)", no, record, closed
    )


async def _load(pool: asyncpg.Pool) -> None:
    customer = await pool.fetchval(
        "INSERT INTO customers (name, phone, type, tier)"
        " VALUES ('王五', '13800005678', 'individual', 'standard') RETURNING id"
    )
    for no, asks in COLLABORATIONS.items():
        await _ticket(pool, customer, no, "system_fault", None)
        seq = 0
        for number, (asked, team, on_time, escalated) in enumerate(asks, start=1):
            request, due = f"{no}-C{number}", asked + 24 * H
            events: list[tuple[datetime, str, dict[str, Any]]] = [
                (asked, "collaboration_requested", {"due": due.isoformat(), "question": "?"})
            ]
            if escalated:
                events.append((due, "collaboration_overdue", {}))
            if on_time is not None:
                events.append(
                    (due + (-H if on_time else 2 * H), "collaboration_answered", {"on_time": on_time})
                )
            for at, kind, data in events:
                seq += 1
                await pool.execute(
                    "INSERT INTO ticket_events (ticket_no, seq, at, type, data) VALUES ($1, $2, $3, $4, $5)",
                    no, seq, at, kind, {"request": request, "team": team, **data},
                )  # fmt: skip
    for no, (category, closed, kind, amount, currency, status) in COMPENSATED.items():
        await _ticket(pool, customer, no, category, closed)
        offer = {"type": kind, "amount": amount, "currency": currency, "reason": "补偿"}
        await _archive(
            pool, no, category, closed, {"offer": offer, "status": status, "needs_approval": False}
        )
    for no, (category, closed) in UNCOMPENSATED.items():
        await _ticket(pool, customer, no, category, closed)
        await _archive(pool, no, category, closed, None)


@pytest.fixture(scope="module")
async def report(pool: asyncpg.Pool) -> WeeklyReport:
    await _load(pool)
    start, end = week_bounds(WEEK, "Asia/Shanghai")
    return await reports.weekly(
        pool,
        week=WEEK,
        timezone="Asia/Shanghai",
        start=start,
        end=end,
        generated_at=MADE_AT,
        satisfied_at=4,
        top_issues=10,
    )


def test_collaboration_requests_per_asked_team_and_their_on_time_rate(report: WeeklyReport) -> None:
    """Tech: one answered on time, one late and unanswered, one not yet due: 1 of 2 on time. Logistics:
    its one request answered late, after escalation: none on time."""
    assert [c.model_dump() for c in report.collaboration] == [
        {
            "team": "logistics",
            "asked": 1,
            "answered": 1,
            "on_time": 0,
            "escalated": 1,
            "late_open": 0,
            "on_time_rate": 0.0,
        },
        {
            "team": "tech",
            "asked": 3,
            "answered": 1,
            "on_time": 1,
            "escalated": 1,
            "late_open": 1,
            "on_time_rate": 0.5,
        },
    ]


async def test_a_request_counts_late_once_its_due_time_has_passed_when_the_report_is_made(
    pool: asyncpg.Pool, report: WeeklyReport
) -> None:
    start, end = week_bounds(WEEK, "Asia/Shanghai")
    later = await reports.weekly(
        pool,
        week=WEEK,
        timezone="Asia/Shanghai",
        start=start,
        end=end,
        generated_at=local(7, 20, 1),  # a minute past the last request's due time
        satisfied_at=4,
        top_issues=10,
    )
    tech = next(c for c in later.collaboration if c.team == "tech")
    assert (tech.late_open, tech.on_time_rate) == (2, 0.3333)


def test_compensation_by_month_category_type_and_currency(report: WeeklyReport) -> None:
    """Offered: approved, accepted or declined; one awaiting approval at closing was never offered. 30
    November is in November in Shanghai; the week before and the week after are in neither."""
    assert [c.model_dump(mode="json") for c in report.compensation] == [
        {
            "month": "2026-11",
            "category": "after_sales_refund",
            "type": "refund",
            "currency": "CNY",
            "offered": 1,
            "offered_amount": "300.00",
            "accepted": 1,
            "accepted_amount": "300.00",
            "declined": 0,
        },
        {
            "month": "2026-12",
            "category": "after_sales_refund",
            "type": "refund",
            "currency": "CNY",
            "offered": 2,
            "offered_amount": "200.50",
            "accepted": 1,
            "accepted_amount": "80.50",
            "declined": 1,
        },
        {
            "month": "2026-12",
            "category": "product_quality",
            "type": "coupon",
            "currency": "USD",
            "offered": 1,
            "offered_amount": "20.00",
            "accepted": 1,
            "accepted_amount": "20.00",
            "declined": 0,
        },
        {
            "month": "2026-12",
            "category": "product_quality",
            "type": "replacement",
            "currency": "CNY",
            "offered": 1,
            "offered_amount": "899.00",
            "accepted": 0,
            "accepted_amount": "0",
            "declined": 0,
        },
    ]
    assert report.closed == 7  # five offered, one awaiting approval at closing, one without any


async def test_the_monthly_report_has_decembers_compensation_only_and_the_page_shows_both(
    pool: asyncpg.Pool, report: WeeklyReport, policy: Policy
) -> None:
    monthly = await reports.build_and_save(pool, policy, "2026-12", MONTHLY_KIND)
    refunds = [(c.month, c.category, c.type, c.offered, c.offered_amount) for c in monthly.compensation]
    assert refunds == [
        ("2026-12", "after_sales_refund", "refund", 3, Decimal("210.50")),  # with 7 December's 10.00
        ("2026-12", "product_quality", "coupon", 1, Decimal("20.00")),
        ("2026-12", "product_quality", "replacement", 1, Decimal("899.00")),
    ]
    # December's requests: tech's two of the week (30 November's is not December's), logistics' two.
    assert [(c.team, c.asked, c.answered) for c in monthly.collaboration] == [
        ("logistics", 2, 1),
        ("tech", 2, 0),
    ]
    stored = await reports.load(pool, "2026-12", MONTHLY_KIND)
    assert stored is not None and stored.compensation == monthly.compensation
    page = render_weekly(report)
    assert 'id="collaboration"' in page and 'data-table="collaboration"' in page
    assert '<td>tech</td><td class="n">3</td>' in page and "50.0%" in page
    assert 'data-table="compensation"' in page and "<td>200.50</td>" in page and "<td>2026-11</td>" in page


@pytest.fixture
async def api(pool: asyncpg.Pool, settings: Settings, policy: Policy) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    errors.install(app)
    app.include_router(reports_api.router)
    app.state.pool, app.state.policy, app.state.settings = pool, policy, settings
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


async def test_the_weekly_json_and_page_carry_the_figures(
    api: httpx.AsyncClient, pool: asyncpg.Pool, report: WeeklyReport
) -> None:
    await seed_demo(pool)
    await reports.save(pool, report)  # the week ends after today's date: only its stored report is read
    key = (await create_api_key(pool, NewApiKey(role=ApiRole.SUPERVISOR, member_id="frontline-sup"))).key
    r = await api.get("/reports/weekly", params={"week": WEEK}, headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(c["team"], c["on_time_rate"]) for c in body["collaboration"]] == [
        ("logistics", 0.0),
        ("tech", 0.5),
    ]
    assert [(c["month"], c["category"], c["type"], c["accepted_amount"]) for c in body["compensation"]] == [
        ("2026-11", "after_sales_refund", "refund", "300.00"),
        ("2026-12", "after_sales_refund", "refund", "80.50"),
        ("2026-12", "product_quality", "coupon", "20.00"),
        ("2026-12", "product_quality", "replacement", "0"),
    ]
    page = await api.get(f"/reports/weekly/{WEEK}.html", headers={"X-API-Key": key})
    assert page.status_code == 200 and 'id="compensation"' in page.text
