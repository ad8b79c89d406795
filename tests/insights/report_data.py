"""Known tickets around ISO week 2026-W47 (Asia/Shanghai), and every figure the report must find in them."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

WEEK = "2026-W47"
SH = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


H = timedelta(hours=1)
M = timedelta(minutes=1)


def _outcomes(opened: datetime, **met: bool) -> list[dict[str, Any]]:
    return [
        {"clock": clock, "due": opened.isoformat(), "at": opened.isoformat(), "met": ok}
        for clock, ok in met.items()
    ]


# ticket_no: (kind, category, priority, channel, team, opened, closed or None, archive extras)
TICKETS: dict[str, dict[str, Any]] = {
    "202611-470001": dict(
        kind="complaint", category="logistics", priority="high", channel="phone", team="logistics",
        opened=local(16, 10), ack=30 * M, response=2 * H, resolved=20 * H, closed=22 * H, breached=False,
        score=5, solved=True, reopens=0, reason="satisfied",
        root=dict(factor="method", what="Courier skipped scan", why="no scanner", common=True),
        outcomes=dict(ack=True, response=True, update=True, resolve=True),
    ),
    "202611-470002": dict(
        kind="fault_report", category="system_fault", priority="urgent", channel="app", team="tech",
        opened=local(16, 12), ack=90 * M, response=3 * H, resolved=10 * H, closed=12 * H, breached=True,
        score=2, solved=False, reopens=1, reason="satisfied",
        root=dict(factor="machine", what="Payment timeout", why="gateway", common=True),
        outcomes=dict(ack=False, response=False, resolve=True),
    ),
    "202611-470003": dict(
        kind="consultation", category="logistics", priority="medium", channel="chat", team="logistics",
        opened=local(17, 9), ack=10 * M, response=1 * H, resolved=4 * H, closed=72 * H, breached=False,
        score=None, solved=None, reopens=0, reason="no_response",
        root=dict(factor="method", what=" Courier skipped scan ", why="no scanner", common=False),
        outcomes=dict(ack=True, response=True, resolve=True),
    ),
    "202611-470004": dict(
        kind="complaint", category="product_quality", priority="medium", channel="email", team="tech",
        opened=local(18, 10), closed=None,
    ),
    "202611-470005": dict(  # opened the week before, closed in this one
        kind="suggestion", category="other", priority="low", channel="web", team="frontline",
        opened=local(15, 20), ack=1 * H, response=2 * H, resolved=12 * H, closed=14 * H, breached=False,
        score=4, solved=True, reopens=0, reason="satisfied",
        root=dict(factor="people", what="Agent misread policy", why="training", common=False),
        outcomes=dict(ack=True, response=True, resolve=True),
    ),
    "202611-470006": dict(  # the last half hour of the week, not yet assigned
        kind="complaint", category="logistics", priority="high", channel="phone", team=None,
        opened=local(22, 23, 30), closed=None,
    ),
    "202611-470007": dict(  # next week
        kind="complaint", category="logistics", priority="high", channel="phone", team="logistics",
        opened=local(23, 0, 30), closed=None,
    ),
    "202611-470008": dict(  # opened two weeks before, still open
        kind="consultation", category="how_to", priority="low", channel="chat", team="frontline",
        opened=local(2, 9), closed=None,
    ),
    "202611-470000": dict(  # closed the week before: in no figure of this week
        kind="complaint", category="logistics", priority="high", channel="phone", team="logistics",
        opened=local(10, 9), ack=10 * M, response=1 * H, resolved=2 * H, closed=3 * H, breached=False,
        score=1, solved=False, reopens=0, reason="satisfied",
        root=dict(factor="method", what="Courier skipped scan", why="x", common=True),
        outcomes=dict(ack=False, response=False, resolve=False),
    ),
}  # fmt: skip


async def load(pool: asyncpg.Pool) -> None:
    """Write the tickets, their archive records, escalation events and incidents."""
    customer = await pool.fetchval(
        "INSERT INTO customers (name, phone, type, tier)"
        " VALUES ('李四', '13800001234', 'individual', 'standard') RETURNING id"
    )
    for no, t in TICKETS.items():
        closed_at = t["opened"] + t["closed"] if t["closed"] is not None else None
        await pool.execute(
            "INSERT INTO tickets (ticket_no, channel, external_id, customer_id, kind, category, priority,"
            " status, team, sla_breached, description, created_at, closed_at)"
            " VALUES ($1, $2, $1, $3, $4, $5, $6, $7, $8, $9, 'd', $10, $11)",
            no,
            t["channel"],
            customer,
            t["kind"],
            t["category"],
            t["priority"],
            "closed" if closed_at else "in_progress",
            t["team"],
            t.get("breached", False),
            t["opened"],
            closed_at,
        )
        if closed_at is None:
            continue
        o = t["opened"]
        view = {
            "ticket_no": no,
            "kind": t["kind"],
            "category": t["category"],
            "priority": t["priority"],
            "channel": t["channel"],
            "team": t["team"],
            "status": "closed",
            "opened_at": o.isoformat(),
            "acknowledged_at": (o + t["ack"]).isoformat(),
            "first_response_at": (o + t["response"]).isoformat(),
            "resolved_at": (o + t["resolved"]).isoformat(),
            "closed_at": closed_at.isoformat(),
            "close_reason": t["reason"],
            "reopen_count": t["reopens"],
            "customer": {"customer_id": customer},
        }
        satisfaction = (
            {"solved": t["solved"], "score": t["score"], "comment": ""} if t["score"] is not None else None
        )
        record = {
            "ticket": view,
            "timeline": [],
            "solution": "done",
            "root_cause": {"who": "", "when": "", "where": "", "how": "", **t["root"]},
            "satisfaction": satisfaction,
            "close_reason": t["reason"],
            "deadlines": _outcomes(o, **t["outcomes"]),
        }
        await pool.execute(
            "INSERT INTO archive (ticket_no, record, closed_at) VALUES ($1, $2, $3)", no, record, closed_at
        )
    for no, seq, at, level in (
        ("202611-470002", 5, local(16, 14, 30), 1),
        ("202611-470002", 9, local(16, 18, 30), 2),
        ("202611-470000", 4, local(10, 12), 1),  # the week before
    ):
        await pool.execute(
            "INSERT INTO ticket_events (ticket_no, seq, at, type, data) VALUES ($1, $2, $3, 'escalated', $4)",
            no,
            seq,
            at,
            {"level": level, "reason": "breach"},
        )
    this_week = await pool.fetchval(
        "INSERT INTO incidents (category, product, team, opened_at)"
        " VALUES ('logistics', 'SKU-9', 'logistics', $1) RETURNING id",
        local(17, 11),
    )
    await pool.execute(
        "INSERT INTO incident_tickets (incident_id, ticket_no)"
        " VALUES ($1, '202611-470001'), ($1, '202611-470003'), ($1, '202611-470006')",
        this_week,
    )
    await pool.execute(
        "INSERT INTO incidents (category, team, opened_at) VALUES ('logistics', 'logistics', $1)",
        local(10, 11),
    )


EXPECTED: dict[str, Any] = {
    "volume": {
        "total": 5,
        "by_kind": [("complaint", 3), ("consultation", 1), ("fault_report", 1)],
        "by_category": [("logistics", 3), ("product_quality", 1), ("system_fault", 1)],
        "by_priority": [("high", 2), ("medium", 2), ("urgent", 1)],
        "by_channel": [("phone", 2), ("app", 1), ("chat", 1), ("email", 1)],
        "by_team": [("logistics", 2), ("tech", 2), ("(none)", 1)],
    },
    "closed": 4,
    "sla": [("ack", 4, 3, 0.75), ("response", 4, 3, 0.75), ("update", 1, 1, 1.0), ("resolve", 4, 4, 1.0)],
    "durations": [
        ("acknowledge", 4, 2700.0, 4860.0),
        ("first_response", 4, 7200.0, 9720.0),
        ("resolution", 4, 39600.0, 63360.0),
        ("close", 4, 64800.0, 205200.0),
    ],
    "escalations": [(1, 1), (2, 1)],
    "satisfaction": {
        "answered": 3,
        "distribution": {1: 0, 2: 1, 3: 0, 4: 1, 5: 1},
        "average": 3.667,
        "satisfied": 2,
        "satisfied_share": 0.6667,
    },
    "reopened": 1,
    "reopen_rate": 0.25,
    "no_response": 1,
    "no_response_rate": 0.25,
    "top_issues": [("logistics", "Courier skipped scan", 2)],
    "root_causes": [
        ("method", "logistics", 2, 1),
        ("machine", "system_fault", 1, 1),
        ("people", "other", 1, 0),
    ],
    "incidents": [("logistics", "SKU-9", 3)],
    "teams": [
        ("frontline", 0, 1, 1, 0),
        ("logistics", 2, 2, 0, 0),
        ("tech", 2, 1, 1, 1),
        ("(none)", 1, 0, 1, 0),
    ],
}
