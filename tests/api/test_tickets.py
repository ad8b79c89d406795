"""Handlers' actions (Updates: new state, 409 with reason, 404, 403), reads with audited contact, feedback."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from cli.embedded import free_port
from domain.actions import FeedbackAnswer
from domain.enums import Priority, Status
from domain.feedback_link import sign
from domain.intake import IntakeRequest, mask_customer
from domain.policy import Policy
from domain.ticket import TicketView
from infra.settings import Settings
from store import audit
from store import intake as store
from tests.api.conftest import Keys, headers
from tests.api.helpers import EMAIL, NAME, PHONE, assigned, intake_body

MEMBER_KEYS = {"frontline-1": "agent", "frontline-2": "other_agent"}

RESOLVE = {
    "solution": "cleared the stuck payment session",
    "root_cause": {"what": "session cache", "why": "stale entry", "factor": "machine"},
}


async def _open(api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, **overrides: Any) -> TicketView:
    body = intake_body(category="how_to", kind="consultation", **overrides)
    r = await api.post("/tickets", json=body, headers=headers(keys.integrator))
    assert r.status_code == 201, r.text
    view = await assigned(env.client, r.json()["ticket_no"])
    assert view.assignee in MEMBER_KEYS, view
    return view


def _assignee_key(keys: Keys, view: TicketView) -> str:
    key: str = getattr(keys, MEMBER_KEYS[view.assignee or ""])
    return key


def _other_agent_key(keys: Keys, view: TicketView) -> str:
    return keys.other_agent if view.assignee == "frontline-1" else keys.agent


async def test_acknowledge_answers_the_new_state_then_409_with_the_reason(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment
) -> None:
    view = await _open(api, keys, env)
    url = f"/tickets/{view.ticket_no}/acknowledge"
    r = await api.post(url, json={}, headers=headers(_assignee_key(keys, view)))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "in_progress"
    again = await api.post(url, json={}, headers=headers(_assignee_key(keys, view)))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "rejected" and again.json()["error"]["message"]


async def test_an_open_ticket_is_read_from_postgres_as_its_last_step_left_it_even_with_temporal_down(
    api: httpx.AsyncClient,
    keys: Keys,
    env: WorkflowEnvironment,
    settings: Settings,
    pool: asyncpg.Pool,
    policy: Policy,
) -> None:
    view = await _open(api, keys, env)
    ack = await api.post(
        f"/tickets/{view.ticket_no}/acknowledge", json={}, headers=headers(_assignee_key(keys, view))
    )
    assert ack.status_code == 200, ack.text
    # The same API with a ticket engine that never answers: the read needs no query.
    nowhere = await Client.connect(
        f"127.0.0.1:{free_port()}", lazy=True, data_converter=pydantic_data_converter
    )
    cut_off = create_app(settings, client=nowhere, pool=pool, policy=policy)
    async with (
        cut_off.router.lifespan_context(cut_off),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=cut_off), base_url="http://t") as http,
    ):
        r = await http.get(f"/tickets/{view.ticket_no}", headers=headers(keys.supervisor))
    assert r.status_code == 200, r.text
    read = r.json()["ticket"]
    assert read == ack.json()
    assert read["status"] == "in_progress" and read["acknowledged_at"] is not None


async def test_a_read_before_the_first_step_waits_for_that_step_in_postgres_without_asking_temporal(
    api: httpx.AsyncClient,
    keys: Keys,
    env: WorkflowEnvironment,
    settings: Settings,
    pool: asyncpg.Pool,
    policy: Policy,
) -> None:
    view = await _open(api, keys, env)
    # As the ticket stood between its intake and its first step: a row, no view yet.
    written = await pool.fetchval("SELECT view FROM tickets WHERE ticket_no = $1", view.ticket_no)
    await pool.execute("UPDATE tickets SET view = NULL WHERE ticket_no = $1", view.ticket_no)

    async def first_step() -> None:
        await asyncio.sleep(0.3)
        await pool.execute("UPDATE tickets SET view = $2 WHERE ticket_no = $1", view.ticket_no, written)

    # A ticket engine that never answers: the read waits for the step's write, not for a query.
    nowhere = await Client.connect(
        f"127.0.0.1:{free_port()}", lazy=True, data_converter=pydantic_data_converter
    )
    cut_off = create_app(settings, client=nowhere, pool=pool, policy=policy)
    async with (
        cut_off.router.lifespan_context(cut_off),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=cut_off), base_url="http://t") as http,
    ):
        stepping = asyncio.create_task(first_step())
        r = await http.get(f"/tickets/{view.ticket_no}", headers=headers(keys.supervisor))
        await stepping
    assert r.status_code == 200, r.text
    assert r.json()["ticket"]["assignee"] == view.assignee and r.json()["source"] == "live"


async def test_a_ticket_not_yours_answers_404_as_an_unknown_one_does_and_a_role_that_may_not_403(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment
) -> None:
    view = await _open(api, keys, env)
    url = f"/tickets/{view.ticket_no}/acknowledge"
    for key in (_other_agent_key(keys, view), keys.other_supervisor):
        r = await api.post(url, json={}, headers=headers(key))
        assert r.status_code == 404 and r.json()["error"] == {
            "code": "not_found",
            "message": f"no ticket {view.ticket_no}",
            "field": None,
        }
        assert (await api.get(f"/tickets/{view.ticket_no}", headers=headers(key))).status_code == 404
    assert (await api.post(url, json={}, headers=headers(keys.integrator))).status_code == 403
    review = await api.post(
        f"/tickets/{view.ticket_no}/review",
        json={"approve": True},
        headers=headers(_assignee_key(keys, view)),
    )
    assert review.status_code == 403  # only supervisors review
    missing = await api.post("/tickets/209901-999999/acknowledge", json={}, headers=headers(keys.admin))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    bad = await api.post(
        f"/tickets/{view.ticket_no}/extend", json={"reason": "x"}, headers=headers(keys.admin)
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "new_due"


async def test_contact_is_unmasked_only_for_the_holder_the_lead_supervisor_and_admins_and_audited(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    admin_key_id = await pool.fetchval("SELECT id FROM api_keys WHERE role = 'admin' ORDER BY id LIMIT 1")
    view = await _open(api, keys, env)
    url = f"/tickets/{view.ticket_no}"
    mine = await api.get(url, headers=headers(_assignee_key(keys, view)))
    assert mine.status_code == 200, mine.text
    assert mine.json()["contact"] == {
        "customer_id": view.customer.customer_id,
        "name": NAME,
        "phone": PHONE,
        "email": EMAIL,
    }
    assert mine.json()["source"] == "live" and mine.json()["description"].startswith("付款页面")
    sup = await api.get(url, headers=headers(keys.supervisor))
    assert sup.status_code == 200 and sup.json()["contact"]["phone"] == PHONE
    integrator = await api.get(url, headers=headers(keys.integrator))
    assert integrator.status_code == 200 and integrator.json()["contact"] is None
    assert integrator.json()["ticket"]["customer"]["display_name"] == "李*"
    assert PHONE not in integrator.text and EMAIL not in integrator.text and NAME not in integrator.text
    admin = await api.get(url, headers=headers(keys.admin))
    assert admin.status_code == 200 and admin.json()["contact"]["phone"] == PHONE
    assert (await api.get(url, headers=headers(_other_agent_key(keys, view)))).status_code == 404
    assert (await api.get(url, headers=headers(keys.other_supervisor))).status_code == 404
    entries = await audit.entries_for(pool, view.ticket_no)
    assert [(e.actor, e.what) for e in entries] == [
        (view.assignee, "contact"),
        ("frontline-sup", "contact"),
        (f"key:{admin_key_id}", "contact"),
    ]


async def test_a_ticket_whose_workflow_is_gone_is_read_from_the_archive(
    api: httpx.AsyncClient, keys: Keys, pool: asyncpg.Pool
) -> None:
    now = datetime.now(UTC)
    record = await store.open_ticket(
        pool,
        store.NewTicket(
            request=IntakeRequest.model_validate(intake_body()), priority=Priority.LOW, opened_at=now
        ),
    )
    archived = TicketView(
        ticket_no=record.ticket_no,
        status=Status.CLOSED,
        priority=record.priority,
        kind=record.kind,
        category=record.category,
        channel=record.channel,
        customer=mask_customer(record.customer_id, record.customer, record.channel),
        opened_at=now,
        closed_at=now,
        close_reason="satisfied",
    )
    await pool.execute(
        "INSERT INTO archive (ticket_no, record, closed_at) VALUES ($1, $2, $3)",
        record.ticket_no,
        archived.model_dump(mode="json"),
        now,
    )
    await pool.execute("UPDATE tickets SET status = 'closed' WHERE ticket_no = $1", record.ticket_no)
    r = await api.get(f"/tickets/{record.ticket_no}", headers=headers(keys.admin))
    assert r.status_code == 200, r.text
    assert r.json()["source"] == "archive" and r.json()["ticket"]["status"] == "closed"


async def test_events_are_newest_first_and_scoped(
    api: httpx.AsyncClient, keys: Keys, pool: asyncpg.Pool
) -> None:
    # A ticket without a workflow: the timeline is the read model's alone, whatever a workflow would record.
    view = await store.open_ticket(
        pool,
        store.NewTicket(
            request=IntakeRequest.model_validate(intake_body()),
            priority=Priority.LOW,
            opened_at=datetime.now(UTC),
        ),
    )
    await pool.execute("UPDATE tickets SET team = 'frontline' WHERE ticket_no = $1", view.ticket_no)
    for seq in (1, 2, 3):
        await pool.execute(
            "INSERT INTO ticket_events (ticket_no, seq, at, type, actor, data)"
            " VALUES ($1, $2, now(), $3, $4, $5)",
            view.ticket_no,
            seq,
            f"event-{seq}",
            "system",
            {"n": seq},
        )
    r = await api.get(f"/tickets/{view.ticket_no}/events?limit=2", headers=headers(keys.supervisor))
    assert r.status_code == 200, r.text
    assert [e["seq"] for e in r.json()["items"]] == [3, 2] and r.json()["next_before_seq"] == 2
    older = await api.get(f"/tickets/{view.ticket_no}/events?before_seq=2", headers=headers(keys.supervisor))
    assert [e["type"] for e in older.json()["items"]] == ["event-1"]
    denied = await api.get(f"/tickets/{view.ticket_no}/events", headers=headers(keys.other_supervisor))
    assert denied.status_code == 404
    assert (await api.get("/tickets/209901-999998/events", headers=headers(keys.admin))).status_code == 404


async def _awaiting_feedback(api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment) -> TicketView:
    view = await _open(api, keys, env)
    key = headers(_assignee_key(keys, view))
    assert (await api.post(f"/tickets/{view.ticket_no}/acknowledge", json={}, headers=key)).status_code == 200
    r = await api.post(f"/tickets/{view.ticket_no}/resolve", json=RESOLVE, headers=key)
    assert r.status_code == 200, r.text
    handle = env.client.get_workflow_handle(view.ticket_no, result_type=TicketView)
    for _ in range(100):
        view = TicketView.model_validate(await handle.query("view", result_type=TicketView))
        if view.status == Status.AWAITING_FEEDBACK:
            return view
        await asyncio.sleep(0.2)
    raise AssertionError(f"{view.ticket_no} never reached awaiting_feedback: {view.status}")


async def _closed_satisfied_with(env: WorkflowEnvironment, ticket_no: str, answer: FeedbackAnswer) -> None:
    """The answer's effect: the ticket closes as satisfied, with the answer recorded as given."""
    final = await env.client.get_workflow_handle(ticket_no, result_type=TicketView).result()
    assert (final.status, final.close_reason, final.feedback) == (Status.CLOSED, "satisfied", answer)


async def test_feedback_link_records_once_then_409_and_rejects_forged_and_expired(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment, settings: Settings
) -> None:
    secret = settings.secret_key.get_secret_value()
    view = await _open(api, keys, env)
    early = sign(view.ticket_no, 1, datetime.now(UTC) + timedelta(days=1), secret)
    answer = {"solved": True, "score": 5, "comment": "thanks"}
    not_yet = await api.post(f"/feedback/{early}", json=answer)
    assert not_yet.status_code == 409

    view = await _awaiting_feedback(api, keys, env)
    token = sign(view.ticket_no, 1, datetime.now(UTC) + timedelta(days=1), secret)
    first = await api.post(f"/feedback/{token}", json=answer)
    assert first.status_code == 200, first.text
    assert first.json()["ticket_no"] == view.ticket_no
    await _closed_satisfied_with(
        env, view.ticket_no, FeedbackAnswer(solved=True, score=5, comment="thanks", round=1)
    )
    second = await api.post(f"/feedback/{token}", json=answer)
    # Refused by the workflow while it archives, or as closed once it has finished: 409 either way.
    assert second.status_code == 409 and second.json()["error"]["code"] in ("rejected", "closed")

    forged = sign(view.ticket_no, 1, datetime.now(UTC) + timedelta(days=1), "not-the-secret")
    assert (await api.post(f"/feedback/{forged}", json=answer)).status_code == 401
    assert (await api.post("/feedback/garbage", json=answer)).status_code == 401
    expired = sign(view.ticket_no, 1, datetime.now(UTC) - timedelta(seconds=1), secret)
    r = await api.post(f"/feedback/{expired}", json=answer)
    assert r.status_code == 410 and r.json()["error"]["code"] == "expired"
    bad = await api.post(f"/feedback/{token}", json={"solved": True, "score": 9})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "score"


async def test_an_integrator_posts_feedback_for_its_own_channel_only(
    api: httpx.AsyncClient, keys: Keys, env: WorkflowEnvironment
) -> None:
    answer = {"solved": True, "score": 4}
    chat = await _open(api, keys, env, channel="chat")
    url = f"/tickets/{chat.ticket_no}/feedback"
    assert (await api.post(url, json=answer, headers=headers(keys.phone_integrator))).status_code == 404
    view = await _awaiting_feedback(api, keys, env)
    url = f"/tickets/{view.ticket_no}/feedback"
    ok = await api.post(url, json=answer, headers=headers(keys.phone_integrator))
    assert ok.status_code == 200, ok.text
    await _closed_satisfied_with(env, view.ticket_no, FeedbackAnswer(solved=True, score=4))
