"""The weekly report's SQL against known data: every figure exact; and the workflow that stores it."""

from datetime import UTC, datetime

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.report import (
    ReportInput,
    WeekError,
    WeeklyReport,
    parse_week,
    previous_week,
    week_bounds,
)
from infra.settings import Settings
from store import reports
from workflows.report import WeeklyReportWorkflow

from . import report_data
from .helpers import insight_worker
from .report_data import EXPECTED, WEEK, local


@pytest.fixture(scope="module")
async def loaded(pool: asyncpg.Pool) -> asyncpg.Pool:
    await report_data.load(pool)
    await pool.execute(
        "INSERT INTO teams (id, name, department) VALUES ('tech', 'Tech', 'it'), ('logistics', 'L', 'ops'),"
        " ('frontline', 'F', 'service')"
    )
    await pool.execute(
        "INSERT INTO members (id, name, role, team_id) VALUES ('tech-sup', 'T', 'supervisor', 'tech'),"
        " ('log-sup', 'L', 'supervisor', 'logistics')"
    )
    return pool


async def _report(pool: asyncpg.Pool) -> WeeklyReport:
    start, end = week_bounds(WEEK, "Asia/Shanghai")
    return await reports.weekly(
        pool,
        week=WEEK,
        timezone="Asia/Shanghai",
        start=start,
        end=end,
        generated_at=datetime(2026, 11, 23, 1, tzinfo=UTC),
        satisfied_at=4,
        top_issues=10,
    )


def test_weeks_are_iso_weeks_in_the_policy_time_zone() -> None:
    start, end = week_bounds(WEEK, "Asia/Shanghai")
    assert (start, end) == (local(16, 0), local(23, 0))
    assert start.astimezone(UTC) == datetime(2026, 11, 15, 16, tzinfo=UTC)
    assert previous_week(local(23, 9), "Asia/Shanghai") == WEEK
    # Monday 01:00 UTC is already Monday 09:00 in Shanghai, but still Sunday evening in New York.
    assert previous_week(datetime(2026, 11, 23, 1, tzinfo=UTC), "America/New_York") == "2026-W46"
    assert parse_week("2026-W53") == (2026, 53)
    for bad in ("2026-47", "2026-W54", "2025-W53", "W47"):
        with pytest.raises(WeekError):
            parse_week(bad)


async def test_volume_by_each_dimension(loaded: asyncpg.Pool) -> None:
    v = (await _report(loaded)).volume
    want = EXPECTED["volume"]
    assert v.total == want["total"]
    for dim in ("by_kind", "by_category", "by_priority", "by_channel", "by_team"):
        assert [(c.key, c.count) for c in getattr(v, dim)] == want[dim], dim


async def test_closed_tickets_sla_durations_satisfaction_and_rates(loaded: asyncpg.Pool) -> None:
    r = await _report(loaded)
    assert r.closed == EXPECTED["closed"]
    assert [(s.target, s.total, s.met, s.rate) for s in r.sla] == EXPECTED["sla"]
    assert [(d.name, d.count, d.median_seconds, d.p90_seconds) for d in r.durations] == EXPECTED["durations"]
    assert r.satisfaction.model_dump() == EXPECTED["satisfaction"]
    assert (r.reopened, r.reopen_rate, r.no_response, r.no_response_rate) == (
        EXPECTED["reopened"],
        EXPECTED["reopen_rate"],
        EXPECTED["no_response"],
        EXPECTED["no_response_rate"],
    )


async def test_escalations_issues_root_causes_incidents_and_team_load(loaded: asyncpg.Pool) -> None:
    r = await _report(loaded)
    assert [(e.level, e.escalations) for e in r.escalations] == EXPECTED["escalations"]
    assert [(i.category, i.what, i.count) for i in r.top_issues] == EXPECTED["top_issues"]
    assert [(c.factor, c.category, c.count, c.common) for c in r.root_causes] == EXPECTED["root_causes"]
    assert [(i.category, i.product, i.tickets) for i in r.incidents] == EXPECTED["incidents"]
    assert [(t.team, t.opened, t.closed, t.open_at_end, t.breached) for t in r.teams] == EXPECTED["teams"]


async def test_suggested_answers_shown_used_and_closed_with_ones_help(loaded: asyncpg.Pool) -> None:
    # Seed 004: which suggestion was used is recorded, so the report says how often suggestions helped.
    shown = {"470000": local(10, 10), "470001": local(16, 11), "470002": local(16, 13),
             "470003": local(17, 10), "470004": local(18, 11)}  # fmt: skip
    uses = [("470000", "article", "1", local(10, 11)), ("470005", "article", "1", local(15, 21)),
            ("470001", "article", "1", local(16, 12)), ("470001", "ticket", "202611-470000", local(16, 13)),
            ("470003", "article", "2", local(17, 11)), ("470004", "article", "2", local(23, 1))]  # fmt: skip
    await loaded.executemany(
        "INSERT INTO suggestion_shown (ticket_no, first_shown_at) VALUES ($1, $2)",
        [(f"202611-{no}", at) for no, at in shown.items()],
    )
    await loaded.executemany(
        "INSERT INTO suggestion_uses (ticket_no, source, ref, used_by, at) VALUES ($1, $2, $3, 'a1', $4)",
        [(f"202611-{no}", source, ref, at) for no, source, ref, at in uses],
    )
    s = (await _report(loaded)).suggestions
    # Shown in the week: 470001-470004 (470000 the week before). Of those, used by the week's end: 470001 and
    # 470003 (470004's use is next week). Uses in the week: two on 470001, one on 470003. Closed in the week:
    # 470001, 470002, 470003, 470005; with a suggestion used: 470001, 470003 and 470005 (used last week).
    assert (s.shown, s.used, s.use_rate, s.uses) == (4, 2, 0.5, 3)
    assert (s.closed_with_suggestion, s.closed_with_suggestion_rate) == (3, 0.75)
    await loaded.execute("DELETE FROM suggestion_uses; DELETE FROM suggestion_shown")


async def test_an_empty_week_has_zeros_and_no_rates(loaded: asyncpg.Pool) -> None:
    start, end = week_bounds("2025-W01", "Asia/Shanghai")
    r = await reports.weekly(
        loaded,
        week="2025-W01",
        timezone="Asia/Shanghai",
        start=start,
        end=end,
        generated_at=start,
        satisfied_at=4,
        top_issues=10,
    )
    assert (r.volume.total, r.closed, r.reopen_rate, r.satisfaction.average, r.sla, r.teams) == (
        0,
        0,
        None,
        None,
        [],
        [],
    )
    assert all(d.count == 0 and d.median_seconds is None for d in r.durations)
    assert (r.suggestions.shown, r.suggestions.use_rate, r.suggestions.closed_with_suggestion_rate) == (
        0,
        None,
        None,
    )


async def test_the_workflow_builds_stores_and_tells_each_teams_supervisors(
    time_env: WorkflowEnvironment, loaded: asyncpg.Pool, settings: Settings
) -> None:
    async with insight_worker(time_env.client, loaded, settings):
        built = await time_env.client.execute_workflow(
            WeeklyReportWorkflow.run,
            ReportInput(week=WEEK),
            id=f"report-{settings.task_queue}",
            task_queue=settings.task_queue,
        )
    assert (built.week, built.opened, built.closed) == (WEEK, 5, 4)
    assert built.url.endswith(f"/reports/weekly/{WEEK}.html")
    assert built.teams == ["frontline", "logistics", "tech"]
    stored = await reports.load(loaded, WEEK)
    assert stored is not None
    expected = await _report(loaded)
    assert stored.model_dump(exclude={"generated_at"}) == expected.model_dump(exclude={"generated_at"})
    assert await reports.weeks(loaded) == [WEEK]
    told = await loaded.fetch(
        "SELECT recipient FROM notifications WHERE key LIKE $1 ORDER BY recipient", f"report-{WEEK}:%"
    )
    assert [r["recipient"] for r in told] == ["log-sup", "tech-sup"]
