"""The customer's own evidence (seeds 002, 003: 截图, 录音): asked for a screenshot, they upload it through
their signed link and their reply refers to it; the holder finds both on the timeline and downloads it."""

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from domain.feedback_link import sign
from infra.settings import Settings
from tests.api.conftest import Keys, headers
from tests.api.test_tickets import _assignee_key, _awaiting_feedback, _open

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 2


def _link(settings: Settings, ticket_no: str, days: float = 1) -> str:
    expires = datetime.now(UTC) + timedelta(days=days)
    return sign(ticket_no, 1, expires, settings.secret_key.get_secret_value())


async def _events(pool: asyncpg.Pool, ticket_no: str, type_: str) -> list[asyncpg.Record]:
    for _ in range(100):
        rows = await pool.fetch(
            "SELECT actor, data FROM ticket_events WHERE ticket_no = $1 AND type = $2 ORDER BY seq",
            ticket_no,
            type_,
        )
        if rows:
            return rows
        await asyncio.sleep(0.1)
    return []


async def test_the_customer_uploads_a_screenshot_through_the_link_and_the_reply_refers_to_it(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, settings: Settings, pool: asyncpg.Pool
) -> None:
    view = await _open(api, keys, env)
    holder = headers(_assignee_key(keys, view))
    url = f"/tickets/{view.ticket_no}"
    assert (await api.post(f"{url}/acknowledge", json={}, headers=holder)).status_code == 200
    wait = await api.post(f"{url}/wait", json={"reason": "需要订单截图"}, headers=holder)
    assert wait.json()["status"] == "waiting_customer"
    token = _link(settings, view.ticket_no)

    # No API key: the link is the customer's credential. A screenshot sent as "订单.jpg" is a PNG.
    r = await api.post(f"/feedback/{token}/attachments", files={"file": ("订单.jpg", PNG, "image/jpeg")})
    assert r.status_code == 201, r.text
    up = r.json()
    assert (up["ticket_no"], up["name"], up["content_type"], up["uploaded_by"], up["name_corrected"]) == (
        view.ticket_no,
        "订单.png",
        "image/png",
        "customer",
        True,
    )
    again = await api.post(f"/feedback/{token}/attachments", files={"file": ("again.png", PNG)})
    assert again.status_code == 200 and again.json()["id"] == up["id"]
    [added] = await _events(pool, view.ticket_no, "attachment")
    assert added["actor"] == "customer" and added["data"]["attachment_id"] == up["id"]

    # A reply naming a file that is not on the ticket is refused, naming the field; nothing is appended.
    r = await api.post(f"/feedback/{token}/reply", json={"message": "见截图", "attachment_ids": [999999]})
    assert r.status_code == 404 and r.json()["error"]["field"] == "attachment_ids"
    r = await api.post(
        f"/feedback/{token}/reply", json={"message": "截图已上传,订单号见图", "attachment_ids": [up["id"]]}
    )
    assert r.status_code == 200 and r.json() == {
        "ticket_no": view.ticket_no,
        "appended": True,
        "follow_up": None,
    }
    [message] = await _events(pool, view.ticket_no, "customer_message")
    assert message["actor"] == "customer" and message["data"]["attachment_ids"] == [up["id"]]
    assert message["data"]["text"] == "截图已上传,订单号见图"
    assert (
        await pool.fetchval("SELECT count(*) FROM customer_messages WHERE ticket_no = $1", view.ticket_no)
        == 1
    )

    # The reply ended the wait; the holder downloads what the customer sent.
    assert await _events(pool, view.ticket_no, "resumed")
    got = await api.get(f"{url}/attachments/{up['id']}", headers=holder)
    assert got.status_code == 200 and got.content == PNG and got.headers["content-type"] == "image/png"

    # A forged or expired link uploads nothing.
    forged = await api.post(f"/feedback/{token}x/attachments", files={"file": ("a.png", PNG)})
    assert forged.status_code == 401
    expired = _link(settings, view.ticket_no, days=-1)
    assert (
        await api.post(f"/feedback/{expired}/attachments", files={"file": ("a.png", PNG)})
    ).status_code == 410
    big = b"%PDF-1.7\n" + b"0" * settings.attachment_max_bytes
    r = await api.post(f"/feedback/{token}/attachments", files={"file": ("big.pdf", big)})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert await pool.fetchval("SELECT count(*) FROM attachments WHERE ticket_no = $1", view.ticket_no) == 1


async def test_a_closed_ticket_takes_no_file_from_its_customer(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, settings: Settings, pool: asyncpg.Pool
) -> None:
    view = await _awaiting_feedback(api, keys, env)
    token = _link(settings, view.ticket_no)
    up = await api.post(f"/feedback/{token}/attachments", files={"file": ("录音.txt", b"hello")})
    assert up.status_code == 201 and up.json()["content_type"] == "text/plain"
    assert (await api.post(f"/feedback/{token}", json={"solved": True, "score": 5})).json()[
        "status"
    ] == "closed"
    for _ in range(100):
        if await pool.fetchval("SELECT status FROM tickets WHERE ticket_no = $1", view.ticket_no) == "closed":
            break
        await asyncio.sleep(0.1)
    r = await api.post(f"/feedback/{token}/attachments", files={"file": ("more.txt", b"more")})
    assert r.status_code == 409
    # Its message would open a follow-up, which carries none of the closed ticket's files.
    r = await api.post(
        f"/feedback/{token}/reply", json={"message": "还有", "attachment_ids": [up.json()["id"]]}
    )
    assert r.status_code == 409
    assert await pool.fetchval("SELECT count(*) FROM tickets WHERE follow_up_of = $1", view.ticket_no) == 0
