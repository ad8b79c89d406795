"""What an outside probe found, each as the scenario that once went wrong (issue 18)."""

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import asyncpg
import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from cli.embedded import free_port
from domain.enums import ApiRole, Role
from domain.feedback_link import sign
from domain.policy import Policy
from infra.settings import Settings
from store.api_keys import NewApiKey, create_api_key
from store.directory import Member, upsert_member
from tests.api.conftest import Keys, headers
from tests.api.helpers import PHONE, history_text, intake_body
from tests.api.test_tickets import RESOLVE, _assignee_key, _awaiting_feedback, _open

ANSWER = {"solved": True, "score": 5, "comment": "谢谢"}


async def _issue(pool: asyncpg.Pool, role: ApiRole, member: str) -> str:
    return (await create_api_key(pool, NewApiKey(role=role, member_id=member))).key


# 1. Feedback links: verified before anything in them is decoded.


async def test_the_anonymous_probe_that_answered_500_is_refused_as_not_genuine(
    api: httpx.AsyncClient,
) -> None:
    r = await api.post("/feedback/MS45OTk5OTk5OTk5OTk5OTk5OTk5OQ.AA", json=ANSWER)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"


async def test_no_link_anyone_can_make_up_answers_other_than_401_410_or_422(api: httpx.AsyncClient) -> None:
    loop = asyncio.get_running_loop()
    statuses: set[int] = set()

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    # A "/" makes another path (404 from the router), so the made-up links hold none.
    @given(token=st.text(min_size=1, max_size=120).filter(lambda t: t.strip(".") != "" and "/" not in t))
    def post(token: str) -> None:
        sent = api.post(f"/feedback/{quote(token, safe='')}", json=ANSWER)
        statuses.add(asyncio.run_coroutine_threadsafe(sent, loop).result(timeout=30).status_code)

    await asyncio.to_thread(post)
    assert statuses <= {401, 410, 422}, statuses


# 2. A link answers its own callback only.


async def test_a_link_from_before_a_reopen_answers_409_once_a_newer_request_was_sent(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, settings: Settings
) -> None:
    secret = settings.secret_key.get_secret_value()
    view = await _awaiting_feedback(api, keys, env)
    later = datetime.now(UTC) + timedelta(days=1)
    first_link = sign(view.ticket_no, 1, later, secret)
    unhappy = await api.post(f"/feedback/{first_link}", json={"solved": False, "score": 1})
    assert unhappy.status_code == 200 and unhappy.json()["status"] == "in_progress"
    key = headers(_assignee_key(keys, view))
    assert (
        await api.post(f"/tickets/{view.ticket_no}/resolve", json=RESOLVE, headers=key)
    ).status_code == 200
    stale = await api.post(f"/feedback/{first_link}", json=ANSWER)
    assert stale.status_code == 409
    assert "newer" in stale.json()["error"]["message"]
    second_link = sign(view.ticket_no, 2, later, secret)
    fresh = await api.post(f"/feedback/{second_link}", json=ANSWER)
    assert fresh.status_code == 200 and fresh.json()["status"] in ("closed", "awaiting_feedback")


# 3. Bodies past the limit answer 413 before the rest is read.


async def test_a_body_past_the_limit_answers_413_in_the_one_error_shape(api: httpx.AsyncClient) -> None:
    big = b'{"solved": true, "score": 5, "comment": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    declared = await api.post("/feedback/x.y", content=big, headers={"content-type": "application/json"})
    assert declared.status_code == 413
    assert declared.json()["error"] == {
        "code": "too_large",
        "message": "the request body is larger than 1,048,576 bytes",
        "field": "body",
    }

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(40):
            yield b"x" * 65_536

    streamed = await api.post("/feedback/x.y", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


# 4. No NUL byte reaches Postgres; a supervisor without a team sees an empty list.


async def test_a_supervisor_without_a_team_lists_nothing_rather_than_an_error(
    api: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    await upsert_member(pool, Member(id="floating-sup", name="无团队主管", role=Role.SUPERVISOR))
    key = await _issue(pool, ApiRole.SUPERVISOR, "floating-sup")
    r = await api.get("/tickets", headers=headers(key))
    assert (r.status_code, r.json()) == (200, {"items": [], "next_cursor": None})


async def test_a_nul_character_in_any_text_answers_422_naming_the_field(
    api: httpx.AsyncClient, keys: Keys
) -> None:
    body = intake_body(description="付款失败\x00")
    r = await api.post("/tickets", json=body, headers=headers(keys.integrator))
    assert r.status_code == 422 and r.json()["error"]["field"] == "description"
    named = intake_body(customer={"name": "李\x00四", "phone": PHONE})
    r = await api.post("/tickets", json=named, headers=headers(keys.integrator))
    assert r.status_code == 422 and r.json()["error"]["field"] == "customer.name"
    q = await api.get("/tickets?q=%00", headers=headers(keys.admin))
    assert q.status_code == 422 and q.json()["error"]["field"] == "q"


# 5. One shape and one status for every body that is not JSON.


async def test_a_body_that_is_not_utf8_or_not_json_answers_422_naming_the_body(
    api: httpx.AsyncClient, keys: Keys
) -> None:
    for content in (b"\xff\xfe{not utf-8}", b'{"channel": "phone",'):
        r = await api.post(
            "/tickets",
            content=content,
            headers={**headers(keys.integrator), "content-type": "application/json"},
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"]["field"] == "body" and r.json()["error"]["code"] == "invalid"


# 6. No silent coercion at the boundary.


async def test_a_boolean_is_not_a_number_and_a_number_is_not_a_time(
    api: httpx.AsyncClient, keys: Keys
) -> None:
    member = {"id": "strict-1", "name": "严格", "role": "agent", "team_id": "frontline", "capacity": False}
    r = await api.put("/admin/members", json=member, headers=headers(keys.admin))
    assert r.status_code == 422 and r.json()["error"]["field"] == "capacity"
    r = await api.post("/tickets", json=intake_body(occurred_at=0), headers=headers(keys.integrator))
    assert r.status_code == 422 and r.json()["error"]["field"] == "occurred_at"
    r = await api.get("/tickets?created_to=0.5", headers=headers(keys.admin))
    assert r.status_code == 422 and r.json()["error"]["field"] == "created_to"
    r = await api.post("/feedback/x.y", json={"solved": 1, "score": 5})
    assert r.status_code == 422 and r.json()["error"]["field"] == "solved"


# 7. One report run a week at a time.


async def test_asking_twice_for_a_weeks_report_returns_the_run_under_way(
    api: httpx.AsyncClient, keys: Keys
) -> None:
    first, second = await asyncio.gather(
        api.post("/reports/weekly/2026-W30/run", headers=headers(keys.supervisor)),
        api.post("/reports/weekly/2026-W30/run", headers=headers(keys.supervisor)),
    )
    assert first.status_code == second.status_code == 202, first.text
    assert first.json()["run_id"] == second.json()["run_id"]
    assert first.json()["workflow_id"] == second.json()["workflow_id"]


# 8. Access.


async def test_a_collaborating_teams_supervisor_reads_the_ticket_with_the_contact_masked(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment
) -> None:
    view = await _open_fault(api, keys, env)  # system_fault: led by tech, frontline collaborates
    collaborating = await api.get(f"/tickets/{view}", headers=headers(keys.supervisor))
    assert collaborating.status_code == 200 and collaborating.json()["contact"] is None
    assert PHONE not in collaborating.text
    lead = await api.get(f"/tickets/{view}", headers=headers(keys.other_supervisor))
    assert lead.json()["contact"]["phone"] == PHONE


async def _open_fault(api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment) -> str:
    r = await api.post("/tickets", json=intake_body(), headers=headers(keys.integrator))
    assert r.status_code == 201, r.text
    ticket_no: str = r.json()["ticket_no"]
    return ticket_no


async def test_after_close_the_last_holder_reads_the_contact_masked_and_an_admin_in_full(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment
) -> None:
    view = await _awaiting_feedback(api, keys, env)
    url = f"/tickets/{view.ticket_no}/feedback"
    assert (await api.post(url, json=ANSWER, headers=headers(keys.integrator))).status_code == 200
    for _ in range(100):
        holder = await api.get(f"/tickets/{view.ticket_no}", headers=headers(_assignee_key(keys, view)))
        if holder.json()["ticket"]["status"] == "closed":
            break
        await asyncio.sleep(0.1)
    assert holder.json()["ticket"]["status"] == "closed" and holder.json()["contact"] is None
    admin = await api.get(f"/tickets/{view.ticket_no}", headers=headers(keys.admin))
    assert admin.json()["contact"]["phone"] == PHONE


async def test_reassigning_to_a_member_of_another_team_is_refused_naming_the_team(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment
) -> None:
    view = await _open(api, keys, env)  # how_to: frontline
    r = await api.post(
        f"/tickets/{view.ticket_no}/reassign",
        json={"to_member": "tech-1", "reason": "knows the system"},
        headers=headers(keys.supervisor),
    )
    assert r.status_code == 409
    assert "is in team 'tech', not 'frontline'" in r.json()["error"]["message"]
    moved = await api.post(
        f"/tickets/{view.ticket_no}/reassign",
        json={"to_member": "tech-1", "to_team": "tech", "reason": "knows the system"},
        headers=headers(keys.supervisor),
    )
    assert moved.status_code == 200 and (moved.json()["team"], moved.json()["assignee"]) == ("tech", "tech-1")


async def test_a_key_never_carries_more_than_its_members_role(
    api: httpx.AsyncClient, keys: Keys, pool: asyncpg.Pool
) -> None:
    too_much = {"role": "supervisor", "member_id": "frontline-2"}
    r = await api.post("/admin/api-keys", json=too_much, headers=headers(keys.admin))
    assert r.status_code == 409 and r.json()["error"]["field"] == "role"
    await upsert_member(pool, Member(id="demoted", name="降职", role=Role.SUPERVISOR, team_id="finance"))
    key = await _issue(pool, ApiRole.SUPERVISOR, "demoted")
    assert (await api.get("/reports/weekly-index", headers=headers(key))).status_code == 200
    await upsert_member(
        pool, Member(id="demoted", name="降职", role=Role.AGENT, team_id="finance", on_duty=False)
    )
    assert (await api.get("/reports/weekly-index", headers=headers(key))).status_code == 403


async def test_a_department_head_acts_on_the_departments_tickets_and_sees_no_other(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    view = await _open(api, keys, env)  # frontline, department "service"
    head = await _issue(pool, ApiRole.HEAD, "head-service")
    other_head = await _issue(pool, ApiRole.HEAD, "head-technology")
    director = await _issue(pool, ApiRole.DIRECTOR, "director")
    url = f"/tickets/{view.ticket_no}/escalate"
    r = await api.post(url, json={"reason": "客户第三次来电"}, headers=headers(head))
    assert r.status_code == 200 and r.json()["escalation_level"] == 1
    assert (await api.post(url, json={"reason": "x"}, headers=headers(other_head))).status_code == 404
    r = await api.post(url, json={"reason": "总监介入"}, headers=headers(director))
    assert r.status_code == 200 and r.json()["escalation_level"] == 2
    listed = await api.get("/tickets", headers=headers(head))
    assert view.ticket_no in [t["ticket_no"] for t in listed.json()["items"]]


# 9. Contact details typed into free text stay in Postgres.


async def test_a_phone_typed_into_a_note_is_masked_in_temporal_the_timeline_and_for_other_readers(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment
) -> None:
    view = await _open(api, keys, env, description="请回电13912345678, 邮箱 wang.wu@example.com")
    key = headers(_assignee_key(keys, view))
    assert (await api.post(f"/tickets/{view.ticket_no}/acknowledge", json={}, headers=key)).status_code == 200
    note = {"note": "已联系客户, 备用号码 13987654321, 身份证110101199003071234", "customer_visible": False}
    r = await api.post(f"/tickets/{view.ticket_no}/progress", json=note, headers=key)
    assert r.status_code == 200, r.text
    history = history_text((await env.client.get_workflow_handle(view.ticket_no).fetch_history()).to_json())
    assert "13987654321" not in history and "110101199003071234" not in history
    assert "139****4321" in history
    timeline = (await api.get(f"/tickets/{view.ticket_no}/events", headers=key)).json()["items"]
    progress = [e for e in timeline if e["type"] == "progress"]
    assert progress[0]["data"]["note"] == "已联系客户, 备用号码 139****4321, 身份证110***********1234"
    other = await api.get(f"/tickets/{view.ticket_no}", headers=headers(keys.integrator))
    assert "13912345678" not in other.text and "wang.wu@example.com" not in other.text
    holder = (await api.get(f"/tickets/{view.ticket_no}", headers=key)).json()
    assert "13912345678" in holder["description"]
    assert [(t["field"], t["raw"]) for t in holder["typed"]] == [("note", note["note"])]


# 10. No forgeable secret outside the dev stack.


async def test_the_api_refuses_to_start_with_a_short_or_placeholder_secret(tmp_path: Path) -> None:
    command = Path(sys.executable).parent / "ticketflow"
    for secret in ("", "change-me", "short-secret"):
        proc = await asyncio.create_subprocess_exec(
            str(command),
            "api",
            env={
                **os.environ,
                "TICKETFLOW_TEMPORAL_ADDRESS": "127.0.0.1:1",
                "TICKETFLOW_DATABASE_URL": "postgresql://x@127.0.0.1:1/x",
                "TICKETFLOW_SECRET_KEY": secret,
            },
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await proc.communicate()
        assert proc.returncode == 2
        message = err.decode()
        assert "TICKETFLOW_SECRET_KEY must be a secret of at least 32 bytes" in message
        assert "Traceback" not in message


# 11. A retried action applies once.


async def test_a_retried_action_with_its_idempotency_key_applies_once_and_answers_the_first_result(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    view = await _open(api, keys, env)
    key = _assignee_key(keys, view)
    ack = f"/tickets/{view.ticket_no}/acknowledge"
    first = await api.post(ack, json={}, headers={**headers(key), "Idempotency-Key": "ack-1"})
    again = await api.post(ack, json={}, headers={**headers(key), "Idempotency-Key": "ack-1"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    note = {"note": "正在处理", "customer_visible": True}
    url = f"/tickets/{view.ticket_no}/progress"
    retries = await asyncio.gather(
        *(api.post(url, json=note, headers={**headers(key), "Idempotency-Key": "note-1"}) for _ in range(3))
    )
    assert [r.status_code for r in retries] == [200, 200, 200]
    events = await pool.fetch(
        "SELECT type FROM ticket_events WHERE ticket_no = $1 AND type = 'progress'", view.ticket_no
    )
    assert len(events) == 1
    told = await pool.fetch(
        "SELECT key FROM notifications WHERE ticket_no = $1 AND template = 'progress'", view.ticket_no
    )
    assert len(told) == 1
    changed = await api.post(
        url, json={"note": "别的内容"}, headers={**headers(key), "Idempotency-Key": "note-1"}
    )
    assert changed.status_code == 422 and changed.json()["error"]["field"] == "Idempotency-Key"


# 12. Reads of a closed ticket need no worker.


async def test_a_closed_ticket_is_read_from_postgres_with_the_ticket_engine_unreachable(
    api: httpx.AsyncClient,
    keys: Keys,
    env: WorkflowEnvironment,
    settings: Settings,
    pool: asyncpg.Pool,
    policy: Policy,
) -> None:
    view = await _awaiting_feedback(api, keys, env)
    assert (
        await api.post(f"/tickets/{view.ticket_no}/feedback", json=ANSWER, headers=headers(keys.integrator))
    ).status_code == 200
    for _ in range(100):
        if await pool.fetchval("SELECT count(*) FROM archive WHERE ticket_no = $1", view.ticket_no):
            break
        await asyncio.sleep(0.1)
    nowhere = await Client.connect(
        f"127.0.0.1:{free_port()}", lazy=True, data_converter=pydantic_data_converter
    )
    cut_off = create_app(settings, client=nowhere, pool=pool, policy=policy)
    async with (
        cut_off.router.lifespan_context(cut_off),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=cut_off), base_url="http://t") as http,
    ):
        r = await http.get(f"/tickets/{view.ticket_no}", headers=headers(keys.admin))
    assert r.status_code == 200, r.text
    assert (r.json()["source"], r.json()["ticket"]["status"]) == ("archive", "closed")
    assert json.loads(r.text)["ticket"]["close_reason"] == "satisfied"
