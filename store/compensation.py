"""Compensation in the tickets' views: amounts per category, type and currency of tickets closed in a span."""

from datetime import datetime
from decimal import Decimal

import asyncpg
from pydantic import BaseModel


class CompensationTotal(BaseModel):
    category: str
    type: str
    currency: str
    offered: int  # approved (by a supervisor or within the threshold) and offered to the customer
    offered_amount: Decimal
    accepted: int
    accepted_amount: Decimal


async def totals(pool: asyncpg.Pool, since: datetime, until: datetime) -> list[CompensationTotal]:
    rows = await pool.fetch(
        "SELECT t.category, c->'offer'->>'type' AS type, c->'offer'->>'currency' AS currency,"
        " count(*) AS offered, sum((c->'offer'->>'amount')::numeric) AS offered_amount,"
        " count(*) FILTER (WHERE c->>'status' = 'accepted') AS accepted,"
        " coalesce(sum((c->'offer'->>'amount')::numeric) FILTER (WHERE c->>'status' = 'accepted'), 0)"
        " AS accepted_amount"
        " FROM tickets t CROSS JOIN LATERAL (SELECT t.view->'compensation' AS c) x"
        " WHERE t.closed_at >= $1 AND t.closed_at < $2 AND jsonb_typeof(c) = 'object'"
        " AND c->>'status' IN ('approved', 'accepted', 'declined')"
        " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        since,
        until,
    )
    return [CompensationTotal(**dict(r)) for r in rows]
