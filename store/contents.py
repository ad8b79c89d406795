"""Where an evidence file's bytes live, once per SHA-256: PostgreSQL (`attachment_blobs`, the default, no
other server) or an S3-compatible bucket when one is configured. The files' metadata stays in PostgreSQL.

A content whose last file is purged is written to `attachment_purges` in the purge's transaction; the
store deletes it after that commits (`drain`), so a crash between the two leaves it listed, not lost track
of. An upload of the same content first takes it off the list, under the same row lock the drain holds, so
a drain never deletes a content a new file has just been given.
"""

from collections.abc import Sequence
from typing import Any, Protocol

import aioboto3
import asyncpg
from botocore.exceptions import ClientError

from infra.settings import Settings
from store.timeline import Executor

# S3's DeleteObjects takes at most 1,000 keys a call.
_BATCH = 1_000


class Contents(Protocol):
    """A content store; `put` runs inside the upload's transaction (`conn`), after the purge list."""

    async def put(self, conn: Executor, sha256: str, content: bytes) -> None: ...

    async def get(self, pool: asyncpg.Pool, sha256: str) -> bytes | None: ...

    async def drain(self, pool: asyncpg.Pool) -> int:
        """Delete the purged contents no file refers to any more; how many."""
        ...


async def unlist(conn: Executor, sha256: str) -> None:
    """An upload's first step: the content is wanted again, so no drain may delete it now."""
    await conn.execute("DELETE FROM attachment_purges WHERE sha256 = $1", sha256)


async def purge_listed(conn: Executor, sha256s: Sequence[str]) -> None:
    """In the purge's transaction: these contents lost their last file; `attachment_blobs` loses them at
    once, an external store when it drains the list."""
    await conn.execute("DELETE FROM attachment_blobs WHERE sha256 = ANY($1::text[])", list(sha256s))
    await conn.execute(
        "INSERT INTO attachment_purges (sha256) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
        list(sha256s),
    )


class PostgresContents:
    """The embedded default: the bytes in `attachment_blobs`, written in the upload's own transaction."""

    async def put(self, conn: Executor, sha256: str, content: bytes) -> None:
        await conn.execute(
            "INSERT INTO attachment_blobs (sha256, content) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            sha256,
            content,
        )

    async def get(self, pool: asyncpg.Pool, sha256: str) -> bytes | None:
        content = await pool.fetchval("SELECT content FROM attachment_blobs WHERE sha256 = $1", sha256)
        return None if content is None else bytes(content)

    async def drain(self, pool: asyncpg.Pool) -> int:
        # The purge's transaction deleted the blobs themselves; the list has nothing left to do.
        status = await pool.execute("DELETE FROM attachment_purges")
        return int(status.split()[-1])


class S3Contents:
    """An S3-compatible bucket (AWS S3, MinIO, Ceph, …): one object a content, `<prefix><sha256>`."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint: str = "",
        region: str = "us-east-1",
        access_key: str = "",
        secret_key: str = "",
        prefix: str = "",
    ) -> None:
        self.bucket, self.prefix = bucket, prefix
        self._session = aioboto3.Session()
        # Empty credentials: the standard chain (environment, profile, instance role) finds them.
        self._client_args: dict[str, Any] = {"region_name": region}
        if endpoint:
            self._client_args["endpoint_url"] = endpoint
        if access_key:
            self._client_args |= {"aws_access_key_id": access_key, "aws_secret_access_key": secret_key}

    def key(self, sha256: str) -> str:
        return f"{self.prefix}{sha256}"

    def _client(self) -> Any:
        return self._session.client("s3", **self._client_args)

    async def put(self, conn: Executor, sha256: str, content: bytes) -> None:
        # Another file already carries this content: the object is there (and stays, as it is referred to).
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM attachments WHERE sha256 = $1)", sha256):
            return
        async with self._client() as s3:
            await s3.put_object(Bucket=self.bucket, Key=self.key(sha256), Body=content)

    async def get(self, pool: asyncpg.Pool, sha256: str) -> bytes | None:
        async with self._client() as s3:
            try:
                found = await s3.get_object(Bucket=self.bucket, Key=self.key(sha256))
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404"):
                    raise
            else:
                async with found["Body"] as body:
                    return bytes(await body.read())
        # A file kept before the bucket was configured is still in PostgreSQL.
        return await PostgresContents().get(pool, sha256)

    async def drain(self, pool: asyncpg.Pool) -> int:
        drained = 0
        while True:
            async with pool.acquire() as conn, conn.transaction():
                rows = await conn.fetch(
                    "SELECT sha256 FROM attachment_purges p"
                    " WHERE NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = p.sha256)"
                    " ORDER BY sha256 LIMIT $1 FOR UPDATE SKIP LOCKED",
                    _BATCH,
                )
                gone = [r["sha256"] for r in rows]
                if gone:
                    async with self._client() as s3:
                        answer = await s3.delete_objects(
                            Bucket=self.bucket,
                            Delete={"Objects": [{"Key": self.key(g)} for g in gone], "Quiet": True},
                        )
                    if answer.get("Errors"):  # listed still; the next drain tries them again
                        first = answer["Errors"][0]
                        raise RuntimeError(f"the bucket kept {first.get('Key')}: {first.get('Message')}")
                    await conn.execute("DELETE FROM attachment_purges WHERE sha256 = ANY($1::text[])", gone)
            drained += len(gone)
            if len(gone) < _BATCH:
                return drained


def contents_for(settings: Settings) -> Contents:
    """The bucket the settings name, else PostgreSQL."""
    if not settings.attachments_s3_bucket:
        return PostgresContents()
    return S3Contents(
        settings.attachments_s3_bucket,
        endpoint=settings.attachments_s3_endpoint,
        region=settings.attachments_s3_region,
        access_key=settings.attachments_s3_access_key.get_secret_value(),
        secret_key=settings.attachments_s3_secret_key.get_secret_value(),
        prefix=settings.attachments_s3_prefix,
    )
