"""Reply scripts: the current version of each, every earlier one kept."""

from typing import Any

import asyncpg

from domain.scripts import Script, ScriptFields, variables

_COLUMNS = "id, section, kind, category, title, body, version, author, updated_at"


def _script(row: asyncpg.Record | dict[str, Any]) -> Script:
    return Script.model_validate({**dict(row), "variables": variables(row["body"])})


async def create(pool: asyncpg.Pool, fields: ScriptFields, author: str) -> Script:
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            f"INSERT INTO reply_scripts (section, kind, category, title, body, author)"
            f" VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_COLUMNS}",
            fields.section.value,
            fields.kind.value if fields.kind else None,
            fields.category.value if fields.category else None,
            fields.title,
            fields.body,
            author,
        )
        assert row is not None
        await _keep(conn, row)
        return _script(row)


async def _keep(conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy, row: asyncpg.Record) -> None:
    await conn.execute(
        "INSERT INTO reply_script_versions (script_id, version, title, body, author)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        row["id"],
        row["version"],
        row["title"],
        row["body"],
        row["author"],
    )


async def revise(pool: asyncpg.Pool, script_id: int, fields: ScriptFields, author: str) -> Script | None:
    """The next version; None: no such script."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            f"UPDATE reply_scripts SET section = $2, kind = $3, category = $4, title = $5, body = $6,"
            f" author = $7, version = version + 1, updated_at = now() WHERE id = $1 RETURNING {_COLUMNS}",
            script_id,
            fields.section.value,
            fields.kind.value if fields.kind else None,
            fields.category.value if fields.category else None,
            fields.title,
            fields.body,
            author,
        )
        if row is None:
            return None
        await _keep(conn, row)
        return _script(row)


async def get(pool: asyncpg.Pool, script_id: int, version: int | None = None) -> Script | None:
    """The script now, or as it was at `version`."""
    row = await pool.fetchrow(f"SELECT {_COLUMNS} FROM reply_scripts WHERE id = $1", script_id)
    if row is None or version is None or version == row["version"]:
        return _script(row) if row else None
    old = await pool.fetchrow(
        "SELECT title, body, author, at FROM reply_script_versions WHERE script_id = $1 AND version = $2",
        script_id,
        version,
    )
    if old is None:
        return None
    return _script({**dict(row), "title": old["title"], "body": old["body"], "author": old["author"],
                    "version": version, "updated_at": old["at"]})  # fmt: skip


async def list_(
    pool: asyncpg.Pool, section: str | None, kind: str | None, category: str | None
) -> list[Script]:
    """Scripts of a section for a kind and category: the specific ones first, then the general."""
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM reply_scripts WHERE ($1::text IS NULL OR section = $1)"
        " AND ($2::text IS NULL OR kind IS NULL OR kind = $2)"
        " AND ($3::text IS NULL OR category IS NULL OR category = $3)"
        " ORDER BY section, (kind IS NULL) AND (category IS NULL), id",
        section,
        kind,
        category,
    )
    return [_script(r) for r in rows]
