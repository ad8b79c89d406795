"""The report's quality figures (issue 22): SLA per team and priority, first-contact resolution, repeat
contacts, per-agent figures, the backlog's age, corrective actions. Each aggregated in Postgres over the
period's own rows (archive by `closed_at`, open tickets by the partial index, actions by their times)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from domain.report import (
    AGE_BUCKETS,
    AgeBucket,
    AgentFigures,
    CorrectiveFigures,
    SlaTarget,
    TargetBy,
    share,
)

NO_KEY = "(none)"

# The figures on closed tickets read `period`: the period's archive facts, read once (store/reports.py fills
# it in the report's transaction). Every deadline once: overall, per team and per priority in one pass.
# Tickets with the same team, priority and deadlines are counted first, so only a few arrays are unnested.
_SLA_BY = """
WITH g AS (SELECT team, priority, clocks, met, count(*) AS n FROM {period} GROUP BY 1, 2, 3, 4)
SELECT o.clock AS target, GROUPING(team) AS g_team, GROUPING(priority) AS g_priority, team, priority,
       sum(n)::bigint AS total, coalesce(sum(n) FILTER (WHERE o.met), 0)::bigint AS met
FROM g CROSS JOIN LATERAL unnest(clocks, met) AS o (clock, met)
GROUP BY GROUPING SETS ((1), (1, team), (1, priority))
"""

# First contact: resolved without a reopen, and no ticket of the same customer and category opened after
# it until `repeat_window` past its resolution (seed 003's repeat contact). One index probe a ticket: faster
# here than a set-based sorted pass over the customers' tickets of the window (bench/RESULTS.md).
_CONTACTS = """
WITH r AS MATERIALIZED (
    SELECT d.reopens, EXISTS (
        SELECT 1 FROM tickets x
        WHERE x.customer_id = d.customer AND x.category = d.category AND x.ticket_no <> d.ticket_no
          AND x.created_at > d.opened AND x.created_at <= coalesce(d.resolved, d.closed) + $1::interval
    ) AS repeated
    FROM {period} d
)
SELECT count(*) AS closed,
       count(*) FILTER (WHERE repeated) AS repeated,
       count(*) FILTER (WHERE reopens = 0 AND NOT repeated) AS first_contact
FROM r
"""

_AGENTS = """
SELECT assignee AS agent, count(*) AS handled,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY response_s) AS med_response,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY resolve_s) AS med_resolve,
       count(score) AS answered, avg(score)::float8 AS csat
FROM {period} WHERE assignee IS NOT NULL
GROUP BY 1 ORDER BY 1
"""

_INSPECTIONS = """
SELECT agent, count(*) AS n, avg((scripts + accuracy + timeliness + attitude) / 4.0)::float8 AS average
FROM inspections WHERE scored_at >= $1 AND scored_at < $2
GROUP BY agent
"""

_BACKLOG = """
WITH open_at_end AS (  -- each branch reads an index: still open, or closed only after the period
    SELECT created_at FROM tickets WHERE closed_at IS NULL AND created_at < $1
    UNION ALL
    SELECT created_at FROM tickets WHERE closed_at >= $1 AND created_at < $1
)
SELECT CASE WHEN $1 - created_at < interval '1 day' THEN '<1d'
            WHEN $1 - created_at < interval '3 days' THEN '1-3d'
            WHEN $1 - created_at < interval '7 days' THEN '3-7d'
            ELSE '>=7d' END AS bucket, count(*) AS n
FROM open_at_end GROUP BY 1
"""

_CORRECTIVE = """
SELECT count(*) FILTER (WHERE opened_at >= $1 AND opened_at < $2) AS opened,
       count(*) FILTER (WHERE done_at >= $1 AND done_at < $2) AS done,
       coalesce(sum((SELECT count(*) FROM jsonb_array_elements(effects) e
            WHERE (e ->> 'checked_at')::timestamptz >= $1 AND (e ->> 'checked_at')::timestamptz < $2
              AND (e ->> 'effective')::boolean)), 0)::int AS effective,
       coalesce(sum((SELECT count(*) FROM jsonb_array_elements(effects) e
            WHERE (e ->> 'checked_at')::timestamptz >= $1 AND (e ->> 'checked_at')::timestamptz < $2
              AND NOT (e ->> 'effective')::boolean)), 0)::int AS not_effective
FROM corrective_actions  -- a desk's actions number in the hundreds, not millions
"""


@dataclass
class Quality:
    sla: list[SlaTarget]
    sla_by_team: list[TargetBy]
    sla_by_priority: list[TargetBy]
    closed: int
    first_contact: int
    repeated: int
    agents: list[AgentFigures]
    backlog: list[AgeBucket]
    corrective: CorrectiveFigures


def _rounded(value: object) -> float | None:
    return None if value is None else round(float(value), 3)  # type: ignore[arg-type]


async def quality(
    conn: asyncpg.Connection, period: str, start: datetime, end: datetime, repeat_window: timedelta
) -> Quality:
    """Every quality figure of the period [start, end); `period` names the table of its archive records."""
    by_team: list[TargetBy] = []
    by_priority: list[TargetBy] = []
    overall: list[SlaTarget] = []
    for r in await conn.fetch(_SLA_BY.replace("{period}", period)):
        rate = share(r["met"], r["total"])
        if r["g_team"] == 1 and r["g_priority"] == 1:
            overall.append(SlaTarget(target=r["target"], total=r["total"], met=r["met"], rate=rate))
            continue
        key = r["team"] if r["g_team"] == 0 else r["priority"]
        row = TargetBy(target=r["target"], key=key or NO_KEY, total=r["total"], met=r["met"], rate=rate)
        (by_team if r["g_team"] == 0 else by_priority).append(row)
    c = await conn.fetchrow(_CONTACTS.replace("{period}", period), repeat_window)
    assert c is not None  # an aggregate without GROUP BY always answers one row
    agents = [
        AgentFigures(
            agent=r["agent"],
            handled=r["handled"],
            median_response_seconds=_rounded(r["med_response"]),
            median_resolution_seconds=_rounded(r["med_resolve"]),
            csat_answered=r["answered"],
            csat_average=_rounded(r["csat"]),
        )
        for r in await conn.fetch(_AGENTS.replace("{period}", period))
    ]
    by_agent = {a.agent: a for a in agents}
    for r in await conn.fetch(_INSPECTIONS, start, end):
        figures = by_agent.setdefault(r["agent"], AgentFigures(agent=r["agent"], handled=0))
        figures.inspected, figures.inspection_average = r["n"], _rounded(r["average"])
    agents = sorted(by_agent.values(), key=lambda a: a.agent)
    ages = {r["bucket"]: r["n"] for r in await conn.fetch(_BACKLOG, end)}
    k = await conn.fetchrow(_CORRECTIVE, start, end)
    assert k is not None
    return Quality(
        sla=overall,
        sla_by_team=sorted(by_team, key=lambda t: (t.target, t.key)),
        sla_by_priority=sorted(by_priority, key=lambda t: (t.target, t.key)),
        closed=c["closed"],
        first_contact=c["first_contact"],
        repeated=c["repeated"],
        agents=agents,
        backlog=[AgeBucket(bucket=b, count=ages.get(b, 0)) for b in AGE_BUCKETS],
        corrective=CorrectiveFigures(**dict(k)),
    )
