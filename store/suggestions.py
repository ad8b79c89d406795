"""Suggested answers: resolved tickets to compare a ticket with, and which suggestion its holder used."""

from datetime import datetime

import asyncpg
from pydantic import BaseModel

from domain.ticket import TicketView


class Solved(BaseModel):
    """A resolved ticket as a suggestion shows it: the customer's words to compare, its solution and cause."""

    ticket_no: str
    description: str
    view: TicketView


async def solved_tickets(pool: asyncpg.Pool, category: str, exclude: str, limit: int) -> list[Solved]:
    """The latest resolved tickets, the same category first: the candidates to rank by their words."""
    rows = await pool.fetch(
        "SELECT ticket_no, description, view FROM tickets"
        " WHERE status IN ('resolved', 'in_review', 'awaiting_feedback', 'closed')"
        " AND view->>'solution' IS NOT NULL AND ticket_no <> $2"
        " ORDER BY category = $1 DESC, updated_at DESC LIMIT $3",
        category,
        exclude,
        limit,
    )
    return [Solved.model_validate(dict(r)) for r in rows]


async def record_use(pool: asyncpg.Pool, ticket_no: str, source: str, ref: str, by: str) -> datetime:
    """When the suggestion was first used on the ticket (a repeat changes nothing)."""
    at: datetime = await pool.fetchval(
        "WITH ins AS (INSERT INTO suggestion_uses (ticket_no, source, ref, used_by) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT DO NOTHING RETURNING at)"
        " SELECT at FROM ins UNION ALL SELECT at FROM suggestion_uses"
        " WHERE ticket_no = $1 AND source = $2 AND ref = $3 LIMIT 1",
        ticket_no,
        source,
        ref,
        by,
    )
    return at


async def uses(pool: asyncpg.Pool, ticket_no: str) -> list[tuple[str, str]]:
    rows = await pool.fetch(
        "SELECT source, ref FROM suggestion_uses WHERE ticket_no = $1 ORDER BY at", ticket_no
    )
    return [(r["source"], r["ref"]) for r in rows]


async def record_shown(pool: asyncpg.Pool, ticket_no: str) -> None:
    """The ticket's holder was shown suggestions; only the first time counts (the reports' "shown")."""
    await pool.execute(
        "INSERT INTO suggestion_shown (ticket_no) VALUES ($1) ON CONFLICT DO NOTHING", ticket_no
    )
