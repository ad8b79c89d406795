"""Corrective actions' rows: opened by the API, kept up to date by their workflow, counted by the reports."""

from datetime import datetime

import asyncpg

from domain.corrective import CorrectiveView

_COLUMNS = (
    "id, ticket_no, incident_id, category, product, owner, team, change, due_at, status, opened_by,"
    " opened_at, done_at, done_by, evidence, effects"
)


async def create(
    pool: asyncpg.Pool,
    *,
    category: str,
    product: str | None,
    owner: str,
    team: str,
    change: str,
    due_at: datetime,
    opened_by: str,
    opened_at: datetime,
    ticket_no: str | None = None,
    incident_id: int | None = None,
) -> int:
    """A new action's row; its id names its workflow."""
    action_id: int = await pool.fetchval(
        "INSERT INTO corrective_actions (ticket_no, incident_id, category, product, owner, team, change,"
        " due_at, opened_by, opened_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        ticket_no,
        incident_id,
        category,
        product,
        owner,
        team,
        change,
        due_at,
        opened_by,
        opened_at,
    )
    return action_id


async def record(pool: asyncpg.Pool, view: CorrectiveView, step: int) -> None:
    """The workflow's state after its step `step`; an older step's retried write changes nothing."""
    await pool.execute(
        "UPDATE corrective_actions SET status = $2, due_at = $3, done_at = $4, done_by = $5, evidence = $6,"
        " effects = $7, step = $8, updated_at = now() WHERE id = $1 AND step < $8",
        view.action_id,
        view.status.value,
        view.due,
        view.done_at,
        view.done_by,
        view.evidence,
        [e.model_dump(mode="json") for e in view.effects],
        step,
    )


async def opened_between(
    pool: asyncpg.Pool, category: str, product: str | None, start: datetime, end: datetime
) -> int:
    """Tickets of the category (and product, when named) opened in [start, end)."""
    n: int = await pool.fetchval(
        "SELECT count(*) FROM tickets WHERE category = $1 AND created_at >= $3 AND created_at < $4"
        " AND ($2::text IS NULL OR product = $2)",
        category,
        product,
        start,
        end,
    )
    return n


async def get(pool: asyncpg.Pool, action_id: int) -> asyncpg.Record | None:
    return await pool.fetchrow(f"SELECT {_COLUMNS} FROM corrective_actions WHERE id = $1", action_id)


async def ticket_subject(pool: asyncpg.Pool, ticket_no: str) -> tuple[str, str | None] | None:
    """A ticket's category and product: what an action opened from its root cause is about."""
    row = await pool.fetchrow("SELECT category, product FROM tickets WHERE ticket_no = $1", ticket_no)
    return None if row is None else (row["category"], row["product"])
