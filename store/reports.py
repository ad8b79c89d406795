"""The weekly report's SQL: every figure aggregated in Postgres, and the `reports` table it is kept in.

Opened tickets come from the read model (`tickets.created_at`); closed ones from the archive record
(`archive.closed_at`, both indexed, so a week reads only its own rows); escalations from the timeline.
"""

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import asyncpg

from domain.policy import Policy
from domain.report import (
    REPORT_KIND,
    Count,
    DurationStat,
    EscalationLevel,
    IncidentSummary,
    RecurringIssue,
    RootCauseCount,
    Satisfaction,
    SlaTarget,
    SuggestionFigures,
    TeamLoad,
    Volume,
    WeeklyReport,
    period_bounds,
    share,
)
from store import report_quality, report_work

NO_TEAM = "(none)"
# The targets in the order the seeds name them; any other clock an archive record holds follows.
TARGET_ORDER = ("ack", "response", "update", "resolve")

_VOLUME = """
SELECT GROUPING(kind) AS g_kind, GROUPING(category) AS g_category, GROUPING(priority) AS g_priority,
       GROUPING(channel) AS g_channel, GROUPING(team) AS g_team,
       kind, category, priority, channel, team, count(*) AS n
FROM tickets
WHERE created_at >= $1 AND created_at < $2
GROUP BY GROUPING SETS ((kind), (category), (priority), (channel), (team), ())
"""

# The period's archive facts (typed when archived: migration 043), read once into a table of the transaction
# that every figure on closed tickets adds up, rather than each figure reading the archive's index again.
PERIOD = "period_archive"
# Only what the figures read, so the table stays within the session's temp_buffers for a month's tickets.
_PERIOD_TABLE = f"""
CREATE TEMP TABLE {PERIOD} ON COMMIT DROP AS
SELECT ticket_no, clocks, met, factor, what, what_key, common, reason, score, solved, reopens, requests,
       customer, category, team, priority, assignee, opened, acked, responded, resolved, closed, ack_s,
       response_s, resolve_s, close_s, comp
FROM archive_facts WHERE closed_at >= $1 AND closed_at < $2
"""

_CLOSED = f"""
SELECT count(*) AS closed,
       count(*) FILTER (WHERE reopens > 0) AS reopened,
       count(*) FILTER (WHERE reason = 'no_response') AS no_response,
       coalesce(sum(requests), 0)::int AS feedback_requests,
       count(*) FILTER (WHERE requests >= 2) AS second_attempts,
       count(score) AS answered,
       avg(score)::float8 AS average,
       count(*) FILTER (WHERE solved AND score >= $1) AS satisfied,
       count(*) FILTER (WHERE score = 1) AS s1, count(*) FILTER (WHERE score = 2) AS s2,
       count(*) FILTER (WHERE score = 3) AS s3, count(*) FILTER (WHERE score = 4) AS s4,
       count(*) FILTER (WHERE score = 5) AS s5,
       count(acked) AS n_ack,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ack_s) AS med_ack,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY ack_s) AS p90_ack,
       count(responded) AS n_response,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY response_s) AS med_response,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY response_s) AS p90_response,
       count(resolved) AS n_resolve,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY resolve_s) AS med_resolve,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY resolve_s) AS p90_resolve,
       count(closed) AS n_close,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY close_s) AS med_close,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY close_s) AS p90_close
FROM {PERIOD}
"""

_ESCALATIONS = """
SELECT (data ->> 'level')::int AS level, count(*) AS n
FROM ticket_events
WHERE type = 'escalated' AND at >= $1 AND at < $2
GROUP BY 1 ORDER BY 1
"""

_ROOT_CAUSES = f"""
SELECT factor, category, count(*) AS n, count(*) FILTER (WHERE common) AS common
FROM {PERIOD}
WHERE factor IS NOT NULL
GROUP BY 1, 2 ORDER BY n DESC, factor, category
"""

_TOP_ISSUES = f"""
SELECT category, min(what) AS what, count(*) AS n
FROM {PERIOD}
WHERE what IS NOT NULL
GROUP BY 1, what_key
HAVING count(*) >= 2
ORDER BY n DESC, category, what
LIMIT $1
"""

_INCIDENTS = """
SELECT i.id, i.category, i.product, i.order_batch, i.team, i.status, i.opened_at,
       (SELECT count(*) FROM incident_tickets it WHERE it.incident_id = i.id) AS tickets
FROM incidents i
WHERE i.opened_at >= $1 AND i.opened_at < $2
ORDER BY i.opened_at, i.id
"""

# Shown and used by the period's end, so a report rebuilt later says the same.
_SUGGESTIONS = f"""
WITH shown AS (SELECT ticket_no FROM suggestion_shown WHERE first_shown_at >= $1 AND first_shown_at < $2)
SELECT (SELECT count(*) FROM shown) AS shown,
       (SELECT count(*) FROM shown s WHERE EXISTS (
            SELECT 1 FROM suggestion_uses u WHERE u.ticket_no = s.ticket_no AND u.at < $2)) AS used,
       (SELECT count(*) FROM suggestion_uses WHERE at >= $1 AND at < $2) AS uses,
       (SELECT count(*) FROM {PERIOD} p WHERE EXISTS (
            SELECT 1 FROM suggestion_uses u WHERE u.ticket_no = p.ticket_no AND u.at < $2)) AS closed_helped
"""

# Each branch reads one index only (migration 044): opened in the period; closed in it; still open; closed
# only after it. Together they are every ticket the period touched, each counted where it belongs.
_TEAMS = """
SELECT team, sum(opened)::int AS opened, sum(closed)::int AS closed, sum(open_at_end)::int AS open_at_end,
       sum(breached)::int AS breached
FROM (
    SELECT team, count(*) AS opened, 0 AS closed, 0 AS open_at_end, 0 AS breached FROM tickets
    WHERE created_at >= $1 AND created_at < $2 GROUP BY team
    UNION ALL
    SELECT team, 0, count(*), 0, count(*) FILTER (WHERE sla_breached) FROM tickets
    WHERE closed_at >= $1 AND closed_at < $2 AND created_at < $2 GROUP BY team
    UNION ALL
    SELECT team, 0, 0, count(*), 0 FROM tickets WHERE closed_at IS NULL AND created_at < $2 GROUP BY team
    UNION ALL
    SELECT team, 0, 0, count(*), 0 FROM tickets WHERE closed_at >= $2 AND created_at < $2 GROUP BY team
) touched
GROUP BY team
ORDER BY team NULLS LAST
"""

_DURATIONS = (
    ("acknowledge", "ack"),
    ("first_response", "response"),
    ("resolution", "resolve"),
    ("close", "close"),
)


def _counts(rows: list[asyncpg.Record], column: str) -> list[Count]:
    found = [Count(key=r[column] if r[column] is not None else NO_TEAM, count=r["n"]) for r in rows]
    return sorted(found, key=lambda c: (-c.count, c.key))


def _volume(rows: list[asyncpg.Record]) -> Volume:
    def rows_of(dimension: str) -> list[asyncpg.Record]:
        others = [d for d in ("kind", "category", "priority", "channel", "team") if d != dimension]
        return [r for r in rows if r[f"g_{dimension}"] == 0 and all(r[f"g_{o}"] == 1 for o in others)]

    total = next((r["n"] for r in rows if all(r[f"g_{d}"] == 1 for d in ("kind", "team"))), 0)
    return Volume(
        total=total,
        by_kind=_counts(rows_of("kind"), "kind"),
        by_category=_counts(rows_of("category"), "category"),
        by_priority=_counts(rows_of("priority"), "priority"),
        by_channel=_counts(rows_of("channel"), "channel"),
        by_team=_counts(rows_of("team"), "team"),
    )


def _sla(targets: list[SlaTarget]) -> list[SlaTarget]:
    order = {t: i for i, t in enumerate(TARGET_ORDER)}
    return sorted(targets, key=lambda s: (order.get(s.target, len(order)), s.target))


def _rounded(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)


async def weekly(
    conn: asyncpg.Connection | asyncpg.Pool,
    *,
    week: str,
    timezone: str,
    start: datetime,
    end: datetime,
    generated_at: datetime,
    satisfied_at: int,
    top_issues: int,
    repeat_window: timedelta = timedelta(days=7),
    kind: str = REPORT_KIND,
) -> WeeklyReport:
    """Aggregate the week [start, end) into a WeeklyReport (nothing is stored here)."""
    if isinstance(conn, asyncpg.Pool):
        async with conn.acquire() as one:
            return await weekly(
                cast(asyncpg.Connection, one),
                week=week,
                timezone=timezone,
                start=start,
                end=end,
                generated_at=generated_at,
                satisfied_at=satisfied_at,
                top_issues=top_issues,
                repeat_window=repeat_window,
                kind=kind,
            )
    async with conn.transaction():
        # Each aggregate runs in milliseconds; compiling it (JIT, on past a cost estimate) takes longer.
        await conn.execute("SET LOCAL jit = off")
        # A month's sorts (medians, the repeat-contact pass) spill to disk at the default 4 MB.
        await conn.execute("SET LOCAL work_mem = '64MB'")
        await conn.execute(_PERIOD_TABLE, start, end)
        return await _aggregate(
            conn, week, timezone, start, end, generated_at, satisfied_at, top_issues, repeat_window, kind
        )


async def _aggregate(
    conn: asyncpg.Connection,
    week: str,
    timezone: str,
    start: datetime,
    end: datetime,
    generated_at: datetime,
    satisfied_at: int,
    top_issues: int,
    repeat_window: timedelta,
    kind: str,
) -> WeeklyReport:
    volume = _volume(await conn.fetch(_VOLUME, start, end))
    c = await conn.fetchrow(_CLOSED, satisfied_at)
    assert c is not None  # an aggregate without GROUP BY always answers one row
    escalations = [
        EscalationLevel(level=r["level"], escalations=r["n"])
        for r in await conn.fetch(_ESCALATIONS, start, end)
    ]
    root_causes = [
        RootCauseCount(factor=r["factor"], category=r["category"], count=r["n"], common=r["common"])
        for r in await conn.fetch(_ROOT_CAUSES)
    ]
    issues = [
        RecurringIssue(category=r["category"], what=r["what"], count=r["n"])
        for r in await conn.fetch(_TOP_ISSUES, top_issues)
    ]
    incidents = [IncidentSummary(**dict(r)) for r in await conn.fetch(_INCIDENTS, start, end)]
    teams = [
        TeamLoad(
            team=r["team"] if r["team"] is not None else NO_TEAM,
            opened=r["opened"],
            closed=r["closed"],
            open_at_end=r["open_at_end"],
            breached=r["breached"],
        )
        for r in await conn.fetch(_TEAMS, start, end)
    ]
    closed: int = c["closed"]
    q = await report_quality.quality(conn, PERIOD, start, end, repeat_window)
    w = await report_work.work(conn, PERIOD, start, end, timezone, generated_at)
    s = await conn.fetchrow(_SUGGESTIONS, start, end)
    assert s is not None
    return WeeklyReport(
        week=week,
        timezone=timezone,
        start=start,
        end=end,
        generated_at=generated_at,
        kind=kind,
        volume=volume,
        closed=closed,
        sla=_sla(q.sla),
        durations=[
            DurationStat(
                name=name,
                count=c[f"n_{col}"],
                median_seconds=_rounded(c[f"med_{col}"]),
                p90_seconds=_rounded(c[f"p90_{col}"]),
            )
            for name, col in _DURATIONS
        ],
        escalations=escalations,
        satisfaction=Satisfaction(
            answered=c["answered"],
            distribution={s: c[f"s{s}"] for s in range(1, 6)},
            average=None if c["average"] is None else round(c["average"], 3),
            satisfied=c["satisfied"],
            satisfied_share=share(c["satisfied"], c["answered"]),
        ),
        reopened=c["reopened"],
        reopen_rate=share(c["reopened"], closed),
        no_response=c["no_response"],
        no_response_rate=share(c["no_response"], closed),
        feedback_requests=c["feedback_requests"],
        second_attempts=c["second_attempts"],
        top_issues=issues,
        root_causes=root_causes,
        incidents=incidents,
        teams=teams,
        sla_by_team=q.sla_by_team,
        sla_by_priority=q.sla_by_priority,
        first_contact_resolved=q.first_contact,
        first_contact_rate=share(q.first_contact, q.closed),
        repeat_contacts=q.repeated,
        repeat_contact_rate=share(q.repeated, q.closed),
        agents=q.agents,
        backlog=q.backlog,
        corrective=q.corrective,
        collaboration=w.collaboration,
        compensation=w.compensation,
        suggestions=SuggestionFigures(
            shown=s["shown"],
            used=s["used"],
            use_rate=share(s["used"], s["shown"]),
            uses=s["uses"],
            closed_with_suggestion=s["closed_helped"],
            closed_with_suggestion_rate=share(s["closed_helped"], closed),
        ),
    )


async def save(conn: asyncpg.Connection | asyncpg.Pool, report: WeeklyReport) -> None:
    """Store (or replace: a re-run for the same week recomputes it) the report of one week."""
    await conn.execute(
        "INSERT INTO reports (kind, period, body) VALUES ($1, $2, $3)"
        " ON CONFLICT (kind, period) DO UPDATE SET body = EXCLUDED.body, created_at = now()",
        report.kind,
        report.week,
        report.model_dump(mode="json"),
    )


async def load(
    conn: asyncpg.Connection | asyncpg.Pool, week: str, kind: str = REPORT_KIND
) -> WeeklyReport | None:
    body = await conn.fetchval("SELECT body FROM reports WHERE kind = $1 AND period = $2", kind, week)
    return WeeklyReport.model_validate(body) if body is not None else None


async def weeks(conn: asyncpg.Connection | asyncpg.Pool, limit: int = 52) -> list[str]:
    """The weeks with a stored report, latest first."""
    rows = await conn.fetch(
        "SELECT period FROM reports WHERE kind = $1 ORDER BY period DESC LIMIT $2", REPORT_KIND, limit
    )
    return [r["period"] for r in rows]


async def build_and_save(
    pool: asyncpg.Pool, policy: Policy, week: str, kind: str = REPORT_KIND
) -> WeeklyReport:
    """Aggregate the period (`week`, or a month when `kind` is monthly) with the policy's time zone and
    thresholds, store it, and return it."""
    start, end = period_bounds(kind, week, policy.report.timezone)
    report = await weekly(
        pool,
        week=week,
        timezone=policy.report.timezone,
        start=start,
        end=end,
        generated_at=datetime.now(UTC),
        satisfied_at=policy.feedback.satisfied_at,
        top_issues=policy.report.top_issues,
        repeat_window=policy.customers.repeat_window,
        kind=kind,
    )
    await save(pool, report)
    return report
