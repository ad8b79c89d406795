"""Evidence files in an S3-compatible bucket (issue 23): with a bucket configured, a real S3 server (moto's,
in process) keeps the bytes: upload, download, one object per content, and a purged ticket leaving no
object behind; PostgreSQL keeps only the metadata."""

import asyncio
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aioboto3
import asyncpg
import httpx
import pytest
from moto.server import ThreadedMotoServer
from pydantic import SecretStr
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.retention import RetentionActivities
from domain.retention import PurgeRequest
from infra.settings import Settings
from store import attachments
from store.contents import S3Contents, contents_for
from store.retention import purge_batch
from tests.api.conftest import Keys, headers
from tests.api.test_tickets import _assignee_key, _awaiting_feedback, _open

BUCKET = "ticketflow-evidence"
PREFIX = "evidence/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 3
SHARED = "同一份检测报告,两张工单都附上了。".encode()


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
async def settings(settings: Settings, s3_endpoint: str) -> Settings:
    """The shared test settings, with the bucket configured: the API and the worker store files there."""
    s3 = settings.model_copy(
        update={
            "attachments_s3_bucket": BUCKET,
            "attachments_s3_endpoint": s3_endpoint,
            "attachments_s3_region": "eu-central-1",
            "attachments_s3_access_key": SecretStr("test-key"),
            "attachments_s3_secret_key": SecretStr("test-secret"),
            "attachments_s3_prefix": PREFIX,
        }
    )
    async with _client(s3) as client:
        buckets = await client.list_buckets()
        if BUCKET not in {b["Name"] for b in buckets["Buckets"]}:
            await client.create_bucket(
                Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
            )
    return s3


def _client(settings: Settings) -> Any:
    return aioboto3.Session().client(
        "s3",
        endpoint_url=settings.attachments_s3_endpoint,
        region_name=settings.attachments_s3_region,
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
    )


async def _objects(settings: Settings) -> set[str]:
    async with _client(settings) as client:
        listed = await client.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX)
        return {o["Key"] for o in listed.get("Contents", [])}


def _key(content: bytes) -> str:
    return PREFIX + hashlib.sha256(content).hexdigest()


async def test_upload_download_one_object_per_content_and_a_purged_ticket_leaves_no_object(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, settings: Settings, pool: asyncpg.Pool
) -> None:
    assert isinstance(contents_for(settings), S3Contents)
    closing = await _awaiting_feedback(api, keys, env)
    staying = await _open(api, keys, env)
    mine, theirs = headers(_assignee_key(keys, closing)), headers(_assignee_key(keys, staying))
    url = f"/tickets/{closing.ticket_no}/attachments"

    r = await api.post(url, files={"file": ("检测报告.pdf", PNG, "application/pdf")}, headers=mine)
    assert r.status_code == 201, r.text
    own = r.json()
    assert (own["content_type"], own["name"], own["name_corrected"]) == ("image/png", "检测报告.png", True)
    assert await _objects(settings) == {_key(PNG)}
    # The bytes are in the bucket only: PostgreSQL keeps the file's metadata.
    assert await pool.fetchval("SELECT count(*) FROM attachment_blobs") == 0

    again = await api.post(url, files={"file": ("again.png", PNG)}, headers=mine)
    assert again.status_code == 200 and again.json()["id"] == own["id"]
    shared = await api.post(url, files={"file": ("报告.txt", SHARED)}, headers=mine)
    other = await api.post(
        f"/tickets/{staying.ticket_no}/attachments", files={"file": ("报告.txt", SHARED)}, headers=theirs
    )
    assert (shared.status_code, other.status_code) == (201, 201)
    assert other.json()["sha256"] == shared.json()["sha256"] and other.json()["id"] != shared.json()["id"]
    assert await _objects(settings) == {_key(PNG), _key(SHARED)}  # one object a content, not a file

    got = await api.get(f"{url}/{own['id']}", headers=mine)
    assert got.status_code == 200 and got.content == PNG and got.headers["content-type"] == "image/png"

    # The customer is satisfied; the ticket closes and is archived, then retention purges it.
    answer = {"solved": True, "score": 5}
    fed = await api.post(
        f"/tickets/{closing.ticket_no}/feedback", json=answer, headers=headers(keys.integrator)
    )
    assert fed.status_code == 200, fed.text
    for _ in range(100):
        if await pool.fetchval("SELECT count(*) FROM archive WHERE ticket_no = $1", closing.ticket_no):
            break
        await asyncio.sleep(0.1)
    purge = PurgeRequest(before=datetime.now(UTC) + timedelta(minutes=1))
    result = await ActivityEnvironment().run(RetentionActivities(pool, settings).purge_archive, purge)
    assert result.tickets == 1
    assert (
        await pool.fetchval("SELECT count(*) FROM attachments WHERE ticket_no = $1", closing.ticket_no) == 0
    )
    assert await _objects(settings) == {_key(SHARED)}  # the other ticket still carries it
    assert await pool.fetchval("SELECT count(*) FROM attachment_purges") == 0
    kept = await api.get(f"/tickets/{staying.ticket_no}/attachments/{other.json()['id']}", headers=theirs)
    assert kept.status_code == 200 and kept.content == SHARED


async def test_a_content_uploaded_again_before_the_drain_stays_in_the_bucket(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    """The purge lists a content; a new file with it arrives before the bucket is drained: it stays."""
    store = contents_for(settings)
    content = b"%PDF-1.7\n" + "维修检测报告".encode()
    await _closed(pool, "S3-old", datetime.now(UTC) - timedelta(days=800))
    await attachments.add(pool, "S3-old", "r.pdf", "application/pdf", content, "a", store)
    assert await purge_batch(pool, datetime.now(UTC) - timedelta(days=730), 10) == (1, 1)
    assert await pool.fetchval("SELECT count(*) FROM attachment_purges") == 1
    again, created = await attachments.add(pool, "S3-new", "r.pdf", "application/pdf", content, "b", store)
    assert created and await pool.fetchval("SELECT count(*) FROM attachment_purges") == 0
    assert await store.drain(pool) == 0
    assert _key(content) in await _objects(settings)
    found = await attachments.get(pool, "S3-new", again.id, store)
    assert found is not None and found[1] == content

    # Purged for good this time: listed, drained, gone from the bucket.
    await pool.execute("DELETE FROM attachments WHERE ticket_no = 'S3-new'")
    await pool.execute("INSERT INTO attachment_purges (sha256) VALUES ($1)", again.sha256)
    assert await store.drain(pool) == 1
    assert _key(content) not in await _objects(settings)
    assert await store.get(pool, again.sha256) is None


async def _closed(pool: asyncpg.Pool, no: str, closed: datetime) -> None:
    customer = await pool.fetchval(
        "INSERT INTO customers (name, phone, type, tier)"
        " VALUES ('赵六', '13800009999', 'individual', 'standard') RETURNING id"
    )
    await pool.execute(
        "INSERT INTO tickets (ticket_no, channel, external_id, customer_id, kind, category, priority, status,"
        " description, closed_at) VALUES ($1, 'phone', $1, $2, 'complaint', 'logistics', 'high', 'closed',"
        " 'd', $3)",
        no,
        customer,
        closed,
    )
    await pool.execute(
        "INSERT INTO archive (ticket_no, record, closed_at) VALUES ($1, $2, $3)",
        no,
        {"ticket": {"ticket_no": no, "customer": {"customer_id": customer}}},
        closed,
    )
