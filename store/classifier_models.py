"""Trained intake classifiers: the newest is what every API process sorts with; a few older ones are kept."""

import asyncpg

KEEP = 4  # the newest few, to compare or fall back by hand; older ones are deleted on each save


async def save(pool: asyncpg.Pool, model: bytes, examples: int, desk: int, trained_by: str) -> int:
    """Store a trained model; its id (ids grow, so the largest is the newest)."""
    async with pool.acquire() as conn, conn.transaction():
        model_id: int = await conn.fetchval(
            "INSERT INTO classifier_models (examples, desk, trained_by, model) VALUES ($1, $2, $3, $4)"
            " RETURNING id",
            examples,
            desk,
            trained_by,
            model,
        )
        await conn.execute(
            "DELETE FROM classifier_models WHERE id NOT IN"
            " (SELECT id FROM classifier_models ORDER BY id DESC LIMIT $1)",
            KEEP,
        )
    return model_id


async def newest_id(pool: asyncpg.Pool) -> int | None:
    found: int | None = await pool.fetchval("SELECT max(id) FROM classifier_models")
    return found


async def load(pool: asyncpg.Pool, model_id: int) -> bytes | None:
    found: bytes | None = await pool.fetchval("SELECT model FROM classifier_models WHERE id = $1", model_id)
    return found
