"""Evidence files: metadata per ticket in Postgres, the content once per SHA-256 in a content store
(store/contents.py: Postgres by default, or an S3-compatible bucket)."""

import hashlib
from datetime import datetime

import asyncpg
from pydantic import BaseModel

from store.contents import Contents, PostgresContents, purge_listed, unlist
from store.timeline import Executor


class Attachment(BaseModel):
    id: int
    ticket_no: str
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


_COLUMNS = "id, ticket_no, name, content_type, size, sha256, uploaded_by, uploaded_at"


async def add(
    pool: asyncpg.Pool,
    ticket_no: str,
    name: str,
    content_type: str,
    content: bytes,
    by: str,
    contents: Contents | None = None,
) -> tuple[Attachment, bool]:
    """The file on the ticket, and whether it is new: the same content twice on a ticket is one file."""
    digest = hashlib.sha256(content).hexdigest()
    async with pool.acquire() as conn, conn.transaction():
        await unlist(conn, digest)
        await (contents or PostgresContents()).put(conn, digest, content)
        row = await conn.fetchrow(
            "INSERT INTO attachments (ticket_no, sha256, name, content_type, size, uploaded_by)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (ticket_no, sha256) DO NOTHING"
            f" RETURNING {_COLUMNS}",
            ticket_no,
            digest,
            name,
            content_type,
            len(content),
            by,
        )
        if row is not None:
            return Attachment(**dict(row)), True
        row = await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM attachments WHERE ticket_no = $1 AND sha256 = $2", ticket_no, digest
        )
        assert row is not None
        return Attachment(**dict(row)), False


class UnknownAttachment(LookupError):
    """A file id that is not on the ticket."""


async def check_ids(pool: asyncpg.Pool, ticket_no: str, ids: list[int]) -> None:
    """Raises UnknownAttachment naming the first id not attached to the ticket."""
    if not ids:
        return
    found = await pool.fetch(
        "SELECT id FROM attachments WHERE ticket_no = $1 AND id = ANY($2::bigint[])", ticket_no, ids
    )
    missing = sorted(set(ids) - {r["id"] for r in found})
    if missing:
        raise UnknownAttachment(f"attachment_ids: no file {missing[0]} on ticket {ticket_no}")


async def list_for(pool: asyncpg.Pool, ticket_no: str) -> list[Attachment]:
    rows = await pool.fetch(f"SELECT {_COLUMNS} FROM attachments WHERE ticket_no = $1 ORDER BY id", ticket_no)
    return [Attachment(**dict(r)) for r in rows]


async def get(
    pool: asyncpg.Pool, ticket_no: str, attachment_id: int, contents: Contents | None = None
) -> tuple[Attachment, bytes] | None:
    row = await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM attachments WHERE ticket_no = $1 AND id = $2", ticket_no, attachment_id
    )
    if row is None:
        return None
    meta = Attachment(**dict(row))
    content = await (contents or PostgresContents()).get(pool, meta.sha256)
    return None if content is None else (meta, content)


async def purge_in(conn: Executor, ticket_nos: list[str]) -> None:
    """The tickets' files go; a content no other ticket carries goes with them (from an external store
    once the caller's transaction has committed: `Contents.drain`)."""
    gone = await conn.fetch(
        "DELETE FROM attachments WHERE ticket_no = ANY($1::text[]) RETURNING sha256", ticket_nos
    )
    orphans = await conn.fetch(
        "SELECT s FROM unnest($1::text[]) AS s"
        " WHERE NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = s)",
        list({r["sha256"] for r in gone}),
    )
    await purge_listed(conn, [r["s"] for r in orphans])
