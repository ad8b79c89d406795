"""The report's quality figures (issue 22) on known tickets of ISO week 2026-W48 (Asia/Shanghai), exact."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from api.report_page import render_weekly
from domain.policy import Policy
from domain.report import (
    MONTHLY_KIND,
    WeekError,
    WeeklyReport,
    month_bounds,
    parse_month,
    previous_month,
    week_bounds,
)
from store import inspections, reports

WEEK = "2026-W48"  # Monday 23 November to Monday 30 November 2026, Shanghai time
SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)


def local(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SH)


# no: customer, category, priority, team, assignee, opened, response, resolved, closed, reopens, score, met
CLOSED: dict[str, tuple[Any, ...]] = {
    "202611-480001": ("c1", "logistics", "high", "logistics", "ag1", local(23, 10), 1 * H, 5 * H, 6 * H,
                      0, 5, {"response": True, "resolve": True}),
    "202611-480002": ("c1", "how_to", "medium", "frontline", "ag2", local(24, 10), 2 * H, 10 * H, 12 * H,
                      1, 2, {"response": True, "resolve": False, "update": True}),
    "202611-480003": ("c2", "logistics", "medium", "frontline", "ag2", local(25, 9), 3 * H, 4 * H, 5 * H,
                      0, 4, {"response": False, "resolve": True}),
}  # fmt: skip
# no: customer, category, opened, closed (after the week) or None
STILL_OPEN: dict[str, tuple[Any, ...]] = {
    "202611-480004": ("c2", "logistics", local(27, 9), None),  # c2 again about logistics: 480003's repeat
    "202611-480005": ("c1", "other", local(29, 20), None),
    "202611-480006": ("c1", "other", local(20, 10), None),
    "202611-480007": ("c1", "other", local(26, 0), local(1, 10, month=12)),
}


async def _load(pool: asyncpg.Pool) -> None:
    ids = {}
    for c in ("c1", "c2"):
        ids[c] = await pool.fetchval(
            "INSERT INTO customers (name, phone, type, tier)"
            " VALUES ($1, '13800001234', 'individual', 'standard') RETURNING id",
            c,
        )
    for no, (c, cat, prio, team, agent, opened, resp, res, closed, reopens, score, met) in CLOSED.items():
        await pool.execute(
            "INSERT INTO tickets (ticket_no, channel, external_id, customer_id, kind, category, priority,"
            " status, team, assignee, description, created_at, closed_at)"
            " VALUES ($1, 'phone', $1, $2, 'complaint', $3, $4, 'closed', $5, $6, 'd', $7, $8)",
            no, ids[c], cat, prio, team, agent, opened, opened + closed,
        )  # fmt: skip
        ticket = {
            "ticket_no": no, "category": cat, "priority": prio, "team": team, "assignee": agent,
            "opened_at": opened.isoformat(), "first_response_at": (opened + resp).isoformat(),
            "resolved_at": (opened + res).isoformat(), "closed_at": (opened + closed).isoformat(),
            "reopen_count": reopens, "customer": {"customer_id": ids[c]},
        }  # fmt: skip
        deadlines = [
            {"clock": k, "due": opened.isoformat(), "at": opened.isoformat(), "met": v}
            for k, v in met.items()
        ]
        record = {
            "ticket": ticket,
            "satisfaction": {"solved": score >= 4, "score": score},
            "deadlines": deadlines,
        }
        await pool.execute(
            "INSERT INTO archive (ticket_no, record, closed_at) VALUES ($1, $2, $3)",
            no,
            record,
            opened + closed,
        )
    for no, (c, cat, opened, closed_at) in STILL_OPEN.items():
        await pool.execute(
            "INSERT INTO tickets (ticket_no, channel, external_id, customer_id, kind, category, priority,"
            " status, description, created_at, closed_at)"
            " VALUES ($1, 'phone', $1, $2, 'complaint', $3, 'medium', 'in_progress', 'd', $4, $5)",
            no, ids[c], cat, opened, closed_at,
        )  # fmt: skip
    for agent, scores, scored_at in (
        ("ag1", (5, 4, 5, 4), local(25, 10)),
        ("ag2", (3, 3, 3, 3), local(26, 10)),
        ("ag2", (4, 4, 4, 4), local(27, 10)),
        ("ag3", (2, 2, 2, 2), local(10, 10)),  # earlier in November: in the monthly report only
        ("ag1", None, None),  # offered, not yet scored
    ):
        await pool.execute(
            "INSERT INTO inspections (week, ticket_no, agent, team, scripts, accuracy, timeliness, attitude,"
            " scored_by, scored_at) VALUES ('2026-W47', $1, $2, 'frontline', $3, $4, $5, $6, 'sup', $7)",
            f"X-{agent}-{scored_at}", agent, *(scores or (None,) * 4), scored_at,
        )  # fmt: skip
    effect = {"before": {}, "after": {}, "tickets_before": 9, "tickets_after": 3, "rate_before": 0.3}
    for opened, done, effects in (
        (local(24, 9), local(26, 9), []),  # opened and done in the week
        (local(1, 9, month=10), local(5, 9, month=10), [{**effect, "checked_at": local(25, 9).isoformat(),
                                                         "effective": True}]),
        (local(2, 9, month=10), local(6, 9, month=10), [{**effect, "checked_at": local(26, 9).isoformat(),
                                                         "effective": False}]),
    ):  # fmt: skip
        await pool.execute(
            "INSERT INTO corrective_actions (category, owner, team, change, due_at, opened_by, opened_at,"
            " done_at, effects) VALUES ('logistics', 'ag1', 'logistics', 'x', $1, 'sup', $1, $2, $3)",
            opened, done, effects,
        )  # fmt: skip


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
        generated_at=datetime(2026, 11, 30, 1, tzinfo=UTC),
        satisfied_at=4,
        top_issues=10,
        repeat_window=timedelta(days=7),
    )


def test_sla_attainment_per_target_per_team_and_per_priority(report: WeeklyReport) -> None:
    assert [(t.target, t.key, t.total, t.met, t.rate) for t in report.sla_by_team] == [
        ("resolve", "frontline", 2, 1, 0.5),
        ("resolve", "logistics", 1, 1, 1.0),
        ("response", "frontline", 2, 1, 0.5),
        ("response", "logistics", 1, 1, 1.0),
        ("update", "frontline", 1, 1, 1.0),
    ]
    assert [(t.target, t.key, t.total, t.met) for t in report.sla_by_priority] == [
        ("resolve", "high", 1, 1),
        ("resolve", "medium", 2, 1),
        ("response", "high", 1, 1),
        ("response", "medium", 2, 1),
        ("update", "medium", 1, 1),
    ]


def test_first_contact_resolution_excludes_reopened_and_repeated_contacts(report: WeeklyReport) -> None:
    """480001 is resolved at first contact; 480002 was reopened; 480003's customer came back in two days."""
    assert report.closed == 3
    assert (report.first_contact_resolved, report.first_contact_rate) == (1, 0.3333)
    assert (report.repeat_contacts, report.repeat_contact_rate) == (1, 0.3333)
    assert (report.reopened, report.reopen_rate) == (1, 0.3333)


def test_per_agent_handled_median_times_and_csat(report: WeeklyReport) -> None:
    assert [a.model_dump() for a in report.agents] == [
        {
            "agent": "ag1",
            "handled": 1,
            "median_response_seconds": 3600.0,
            "median_resolution_seconds": 18000.0,
            "csat_answered": 1,
            "csat_average": 5.0,
            "inspected": 1,
            "inspection_average": 4.5,
        },
        {
            "agent": "ag2",
            "handled": 2,
            "median_response_seconds": 9000.0,  # 2 h and 3 h
            "median_resolution_seconds": 25200.0,  # 10 h and 4 h
            "csat_answered": 2,
            "csat_average": 3.0,
            "inspected": 2,
            "inspection_average": 3.5,
        },
    ]


def test_backlog_by_age_at_the_weeks_end_and_corrective_actions(report: WeeklyReport) -> None:
    assert [(b.bucket, b.count) for b in report.backlog] == [
        ("<1d", 1),
        ("1-3d", 1),
        ("3-7d", 1),
        (">=7d", 1),
    ]
    assert report.corrective.model_dump() == {"opened": 1, "done": 1, "effective": 1, "not_effective": 1}


async def test_the_monthly_report_has_the_same_figures_over_november_and_is_stored(
    pool: asyncpg.Pool, report: WeeklyReport, policy: Policy
) -> None:
    assert month_bounds("2026-11", "Asia/Shanghai") == (local(1, 0), local(1, 0, month=12))
    assert previous_month(datetime(2026, 12, 1, 1, tzinfo=UTC), "Asia/Shanghai") == "2026-11"  # 09:00 there
    assert previous_month(datetime(2026, 12, 1, 1, tzinfo=UTC), "America/New_York") == "2026-10"
    with pytest.raises(WeekError):
        parse_month("2026-13")
    monthly = await reports.build_and_save(pool, policy, "2026-11", MONTHLY_KIND)
    assert (monthly.kind, monthly.week, monthly.volume.total, monthly.closed) == ("monthly", "2026-11", 7, 3)
    assert monthly.first_contact_resolved == 1 and monthly.agents[:2] == report.agents
    assert monthly.agents[2].model_dump(include={"agent", "handled", "inspected", "inspection_average"}) == {
        "agent": "ag3",
        "handled": 0,
        "inspected": 1,
        "inspection_average": 2.0,
    }
    # At 1 December 00:00: 480005 is 28 h old, 480004 3.6 days, 480007 5 days, 480006 11 days.
    assert [(b.bucket, b.count) for b in monthly.backlog] == [
        ("<1d", 0),
        ("1-3d", 1),
        ("3-7d", 2),
        (">=7d", 1),
    ]
    assert monthly.corrective.model_dump() == {"opened": 1, "done": 1, "effective": 1, "not_effective": 1}
    stored = await reports.load(pool, "2026-11", MONTHLY_KIND)
    assert stored is not None and stored.model_dump(exclude={"generated_at"}) == monthly.model_dump(
        exclude={"generated_at"}
    )
    assert await reports.load(pool, "2026-11") is None  # a weekly report of that name: none
    page = render_weekly(monthly)
    assert "客服问题分析月报 Monthly report" in page and 'id="agents"' in page and 'id="backlog"' in page


async def test_the_weekly_sample_offers_each_agent_their_share_once(
    pool: asyncpg.Pool, report: WeeklyReport
) -> None:
    """Seeds 003, 004 (质检): per_agent of each agent's closed tickets, the same ones if the run repeats."""
    start, end = week_bounds(WEEK, "Asia/Shanghai")
    assert await inspections.sample(pool, WEEK, start, end, per_agent=1) == 2
    assert await inspections.sample(pool, WEEK, start, end, per_agent=1) == 2
    rows = await pool.fetch(
        "SELECT ticket_no, agent, team FROM inspections WHERE week = $1 ORDER BY agent", WEEK
    )
    assert [(r["agent"], r["team"]) for r in rows] == [("ag1", "logistics"), ("ag2", "frontline")]
    assert rows[0]["ticket_no"] == "202611-480001" and rows[1]["ticket_no"] in (
        "202611-480002",
        "202611-480003",
    )
    assert await inspections.sample(pool, WEEK, start, end, per_agent=5) == 3  # every closed ticket, once
