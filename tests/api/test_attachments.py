"""Evidence files (seeds 002, 003: 检测报告, 截图, 录音): a multipart round trip, the type told from the
content, the size limit, one file per content, and who may download (audited)."""

import asyncio

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from infra.settings import Settings
from store import audit
from tests.api.conftest import Keys, headers
from tests.api.test_tickets import _assignee_key, _open, _other_agent_key

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


async def _timeline(pool: asyncpg.Pool, ticket_no: str, type_: str) -> list[asyncpg.Record]:
    for _ in range(100):
        rows = await pool.fetch(
            "SELECT actor, data FROM ticket_events WHERE ticket_no = $1 AND type = $2", ticket_no, type_
        )
        if rows:
            return rows
        await asyncio.sleep(0.1)
    return []


async def test_screenshot_named_pdf_is_kept_as_png_downloaded_by_the_holder_and_audited(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    view = await _open(api, keys, env)
    holder = _assignee_key(keys, view)
    url = f"/tickets/{view.ticket_no}/attachments"
    r = await api.post(url, files={"file": ("检测报告.pdf", PNG, "application/pdf")}, headers=headers(holder))
    assert r.status_code == 201, r.text
    up = r.json()
    assert (up["content_type"], up["name"], up["name_corrected"], up["size"]) == (
        "image/png",
        "检测报告.png",
        True,
        len(PNG),
    )
    again = await api.post(url, files={"file": ("again.png", PNG)}, headers=headers(holder))
    assert again.status_code == 200 and again.json()["id"] == up["id"] and not again.json()["created"]
    assert await pool.fetchval("SELECT count(*) FROM attachment_blobs WHERE sha256 = $1", up["sha256"]) == 1

    listed = await api.get(url, headers=headers(keys.supervisor))
    assert [a["id"] for a in listed.json()["items"]] == [up["id"]]
    got = await api.get(f"{url}/{up['id']}", headers=headers(holder))
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert "filename*=UTF-8''%E6%A3%80%E6%B5%8B%E6%8A%A5%E5%91%8A.png" in got.headers["content-disposition"]
    reads = [e for e in await audit.entries_for(pool, view.ticket_no) if e.what == f"attachment {up['id']}"]
    assert [e.actor for e in reads] == [view.assignee]

    events = await _timeline(pool, view.ticket_no, "attachment")
    assert len(events) == 1 and events[0]["data"]["attachment_id"] == up["id"]
    assert events[0]["data"]["name"] == "检测报告.png" and events[0]["actor"] == view.assignee

    # A progress note refers to the file; a file of no ticket of this one is refused, naming the field.
    note = {"note": "已收到截图,正在分析", "customer_visible": False, "attachment_ids": [up["id"]]}
    assert (
        await api.post(f"/tickets/{view.ticket_no}/acknowledge", json={}, headers=headers(holder))
    ).is_success
    r = await api.post(f"/tickets/{view.ticket_no}/progress", json=note, headers=headers(holder))
    assert r.status_code == 200, r.text
    progress = await _timeline(pool, view.ticket_no, "progress")
    assert progress[0]["data"]["attachment_ids"] == [up["id"]]
    r = await api.post(
        f"/tickets/{view.ticket_no}/progress",
        json={**note, "attachment_ids": [999999]},
        headers=headers(holder),
    )
    assert r.status_code == 404 and r.json()["error"]["field"] == "attachment_ids"

    # Files are for those who may read the contact: not the integrator; other teams do not see the ticket.
    assert (await api.get(f"{url}/{up['id']}", headers=headers(keys.integrator))).status_code == 403
    assert (await api.get(url, headers=headers(keys.other_supervisor))).status_code == 404
    assert (
        await api.get(f"{url}/{up['id']}", headers=headers(_other_agent_key(keys, view)))
    ).status_code == 404
    assert (await api.get(f"{url}/999999", headers=headers(holder))).status_code == 404


async def test_oversize_file_413_and_unaccepted_content_415(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, settings: Settings, pool: asyncpg.Pool
) -> None:
    assert settings.attachment_max_bytes == 10 * 1024 * 1024  # issue 23: default 10 MiB
    view = await _open(api, keys, env)
    url = f"/tickets/{view.ticket_no}/attachments"
    key = headers(_assignee_key(keys, view))
    big = b"%PDF-1.7\n" + b"0" * settings.attachment_max_bytes
    r = await api.post(url, files={"file": ("big.pdf", big)}, headers=key)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(64)
    r = await api.post(url, files={"file": ("invoice.pdf", exe)}, headers=key)
    assert r.status_code == 415 and r.json()["error"]["field"] == "file"
    just = b"%PDF-1.7\n" + b"0" * (settings.attachment_max_bytes - 9)
    r = await api.post(url, files={"file": ("limit.pdf", just)}, headers=key)
    assert r.status_code == 201 and r.json()["size"] == settings.attachment_max_bytes
    assert await pool.fetchval("SELECT count(*) FROM attachments WHERE ticket_no = $1", view.ticket_no) == 1
