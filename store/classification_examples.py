"""Corrections made by re-sorting: the classifier's next training examples (the ticket's words stay in
`tickets`; the label is what a person said it is)."""

import asyncpg

from domain.enums import Category, Kind


async def add(
    pool: asyncpg.Pool, ticket_no: str, category: Category, kind: Kind, by: str, reason: str
) -> None:
    await pool.execute(
        "INSERT INTO classification_examples (ticket_no, category, kind, corrected_by, reason)"
        " VALUES ($1, $2, $3, $4, $5)",
        ticket_no,
        category.value,
        kind.value,
        by,
        reason,
    )


async def latest(pool: asyncpg.Pool, ticket_no: str) -> tuple[Category, Kind] | None:
    """The last correction of a ticket, if any."""
    row = await pool.fetchrow(
        "SELECT category, kind FROM classification_examples WHERE ticket_no = $1 ORDER BY id DESC LIMIT 1",
        ticket_no,
    )
    return (Category(row["category"]), Kind(row["kind"])) if row else None


async def desk_examples(pool: asyncpg.Pool, limit: int) -> list[tuple[str, Category, Kind]]:
    """The desk's own labelled contacts, newest first: tickets a person filed (category given at intake, or
    corrected by a re-sort), each with its last label; never the classifier's own unconfirmed guesses."""
    rows = await pool.fetch(
        "SELECT t.description, coalesce(c.category, t.category) AS category, coalesce(c.kind, t.kind) AS kind"
        " FROM tickets t LEFT JOIN LATERAL (SELECT category, kind FROM classification_examples e"
        " WHERE e.ticket_no = t.ticket_no ORDER BY e.id DESC LIMIT 1) c ON true"
        " WHERE c.category IS NOT NULL OR (t.classification IS NULL AND t.status = 'closed')"
        " ORDER BY t.updated_at DESC LIMIT $1",
        limit,
    )
    return [(r["description"], Category(r["category"]), Kind(r["kind"])) for r in rows]
