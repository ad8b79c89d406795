"""The report's figures of working together (issue 23): collaboration requests per asked team and their
on-time rate, from the timeline; compensation by month, category and type, from the period's archive."""

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from domain.report import CollaborationFigures, CompensationFigures, share
from store.timeline import Executor

# Requests asked in the period (a partial index on the timeline finds them, migration 053), each joined
# to its own answer and escalation among its ticket's events (the timeline's primary key).
_COLLABORATION = """
WITH asked AS (
    SELECT ticket_no, data ->> 'request' AS request, data ->> 'team' AS team,
           (data ->> 'due')::timestamptz AS due
    FROM ticket_events
    WHERE type = 'collaboration_requested' AND at >= $1 AND at < $2
)
SELECT a.team, count(*) AS asked,
       count(ans.on_time) AS answered,
       count(*) FILTER (WHERE ans.on_time) AS on_time,
       count(esc.request) AS escalated,
       count(*) FILTER (WHERE ans.on_time IS NULL AND a.due < $3) AS late_open
FROM asked a
LEFT JOIN LATERAL (
    SELECT coalesce((x.data ->> 'on_time')::boolean, false) AS on_time FROM ticket_events x
    WHERE x.ticket_no = a.ticket_no AND x.type = 'collaboration_answered' AND x.data ->> 'request' = a.request
    LIMIT 1
) ans ON true
LEFT JOIN LATERAL (
    SELECT x.data ->> 'request' AS request FROM ticket_events x
    WHERE x.ticket_no = a.ticket_no AND x.type = 'collaboration_overdue' AND x.data ->> 'request' = a.request
    LIMIT 1
) esc ON true
GROUP BY a.team ORDER BY a.team
"""

# `period` is the table of the period's archive records (store/reports.py); `comp` is the ticket's last
# offer and where it stood at closing. Offered: approved, whatever the customer answered after
# (one refused or still awaiting approval was never offered).
_COMPENSATION = """
WITH c AS (
    SELECT to_char(closed AT TIME ZONE $1, 'YYYY-MM') AS month, category,
           comp #>> '{{offer,type}}' AS type, comp #>> '{{offer,currency}}' AS currency,
           (comp #>> '{{offer,amount}}')::numeric AS amount, comp ->> 'status' AS status,
           comp ->> 'status' IN ('approved', 'accepted', 'declined') AS offered
    FROM {period} WHERE jsonb_typeof(comp) = 'object'
)
SELECT month, category, type, currency,
       count(*) FILTER (WHERE offered) AS offered,
       coalesce(sum(amount) FILTER (WHERE offered), 0) AS offered_amount,
       count(*) FILTER (WHERE status = 'accepted') AS accepted,
       coalesce(sum(amount) FILTER (WHERE status = 'accepted'), 0) AS accepted_amount,
       count(*) FILTER (WHERE status = 'declined') AS declined
FROM c GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
"""


async def collaboration_per_team(
    conn: Executor, start: datetime, end: datetime, as_of: datetime
) -> list[CollaborationFigures]:
    """Requests asked in [start, end), per asked team; one unanswered is late once its due time is before
    `as_of`."""
    out = []
    for r in await conn.fetch(_COLLABORATION, start, end, as_of):
        due = r["answered"] + r["late_open"]
        out.append(CollaborationFigures(**dict(r), on_time_rate=share(r["on_time"], due)))
    return out


@dataclass
class Work:
    collaboration: list[CollaborationFigures]
    compensation: list[CompensationFigures]


async def work(
    conn: asyncpg.Connection, period: str, start: datetime, end: datetime, timezone: str, as_of: datetime
) -> Work:
    """The period [start, end)'s collaboration requests (late ones counted as of `as_of`, when the report
    is made) and the compensation of its closed tickets, months named in `timezone`."""
    collaboration = await collaboration_per_team(conn, start, end, as_of)
    compensation = [
        CompensationFigures(**dict(r))
        for r in await conn.fetch(_COMPENSATION.format(period=period), timezone)
    ]
    return Work(collaboration=collaboration, compensation=compensation)
