"""The notify activity in Temporal's ActivityEnvironment, against real Postgres, SMTP and HTTP servers."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.channels.sms import SmsNotifier
from activities.channels.webhook import WebhookNotifier
from activities.notify import NotifyActivities
from domain import feedback_link
from domain.enums import Role
from domain.notification import Audience, NotifyRequest, NotifyResult
from infra.settings import Settings
from store import notifications
from store.directory import Member, Team, upsert_member, upsert_team
from tests.activities.channels.servers import SmtpServer, WebhookReceiver, smtp_server, webhook_receiver

SECRET = "test-secret"  # the `settings` fixture's secret_key signs webhooks and feedback links


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
async def hook() -> AsyncIterator[WebhookReceiver]:
    async with webhook_receiver(SECRET) as r:
        yield r


@pytest.fixture
def acts(pool: asyncpg.Pool, settings: Settings, smtp: SmtpServer) -> NotifyActivities:
    s = settings.model_copy(
        update={
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "public_url": "https://help.example.com",
            "channel_webhooks": {},  # customers here are reached by e-mail or a call task
        }
    )
    return NotifyActivities(pool, s, webhook=WebhookNotifier(SECRET, backoff=0.02, timeout=2))


class World:
    """A team in a department with a supervisor, a head, an agent; unique per test."""

    def __init__(self, hook: WebhookReceiver) -> None:
        u = uuid.uuid4().hex[:8]
        self.u = u
        self.team = Team(id=f"team-{u}", name="技术支持 Tech", department=f"dept-{u}")
        self.sup = Member(
            id=f"sup-{u}",
            name="王主管",
            role=Role.SUPERVISOR,
            team_id=self.team.id,
            email=f"sup-{u}@example.com",
            webhook_url=hook.url,
        )
        self.head = Member(
            id=f"head-{u}",
            name="赵经理",
            role=Role.HEAD,
            department=self.team.department,
            email=f"head-{u}@example.com",
        )
        self.agent = Member(id=f"agent-{u}", name="张三", role=Role.AGENT, team_id=self.team.id)
        self.outsider = Member(
            id=f"other-head-{u}",
            name="钱经理",
            role=Role.HEAD,
            department=f"elsewhere-{u}",
            email="x@example.com",
        )

    async def create(self, pool: asyncpg.Pool) -> "World":
        await upsert_team(pool, self.team)
        for m in (self.sup, self.head, self.agent, self.outsider):
            await upsert_member(pool, m)
        return self

    async def ticket(
        self, pool: asyncpg.Pool, *, email: str | None, phone: str | None, preferred: str = "email"
    ) -> str:
        customer_id = await pool.fetchval(
            "INSERT INTO customers (name, phone, email, type, tier, preferred_contact)"
            " VALUES ('李四', $1, $2, 'individual', 'standard', $3) RETURNING id",
            phone,
            email,
            preferred,
        )
        ticket_no = f"202501-{uuid.uuid4().int % 1_000_000:06d}"
        await pool.execute(
            "INSERT INTO tickets (ticket_no, channel, external_id, customer_id, kind, category, priority,"
            " status, team, assignee, description)"
            " VALUES ($1, 'web', $1, $2, 'complaint', 'logistics', 'high', 'resolved', $3, $4, '没收到货')",
            ticket_no,
            customer_id,
            self.team.id,
            self.agent.id,
        )
        return ticket_no


@pytest.fixture
async def world(pool: asyncpg.Pool, hook: WebhookReceiver) -> World:
    return await World(hook).create(pool)


async def run(acts: NotifyActivities, req: NotifyRequest) -> NotifyResult:
    return await ActivityEnvironment().run(acts.notify, req)


async def test_supervisor_gets_webhook_and_email_once_even_when_the_activity_runs_twice(
    acts: NotifyActivities, pool: asyncpg.Pool, world: World, hook: WebhookReceiver, smtp: SmtpServer
) -> None:
    req = NotifyRequest(
        key=f"T-{world.u}:4:team_supervisor",
        ticket_no=f"T-{world.u}",
        audience=Audience.TEAM_SUPERVISOR,
        team=world.team.id,
        template="urgent_intake",
        facts={"customer": "李*", "category": "logistics"},
        urgent=True,
    )

    first = await ActivityEnvironment().run(acts.notify, req)
    second = await ActivityEnvironment().run(acts.notify, req)

    assert first.recipients == [world.sup.id] and not first.already_sent
    assert second.recipients == [world.sup.id] and second.already_sent
    rows = await notifications.for_ticket(pool, req.ticket_no)
    assert [(r.key, r.recipient) for r in rows] == [(f"{req.key}:{world.sup.id}", world.sup.id)]
    assert rows[0].delivered_at is not None
    assert rows[0].payload["delivered"] == ["log", "webhook", "email"]
    assert len(hook.delivered) == 1 and hook.delivered[0].signature_ok
    assert hook.delivered[0].json()["template"] == "urgent_intake"
    [mail] = smtp.collector.messages
    assert mail["To"] == world.sup.email
    assert "紧急" in mail["Subject"] and req.ticket_no in mail["Subject"]


async def test_department_head_is_found_through_the_team_and_director_by_role(
    acts: NotifyActivities, pool: asyncpg.Pool, world: World, smtp: SmtpServer
) -> None:
    head = await run(
        acts,
        NotifyRequest(
            key=f"H-{world.u}:1",
            ticket_no=f"H-{world.u}",
            audience=Audience.DEPARTMENT_HEAD,
            team=world.team.id,
            template="escalated",
            facts={"level": "2"},
        ),
    )
    assert head.recipients == [world.head.id]
    assert [m["To"] for m in smtp.collector.messages] == [world.head.email]
    assert "L2" in smtp.collector.messages[0]["Subject"]

    director = Member(id=f"dir-{world.u}", name="总监", role=Role.DIRECTOR)  # no address: log only
    await upsert_member(pool, director)
    result = await run(
        acts,
        NotifyRequest(
            key=f"H-{world.u}:2",
            ticket_no=f"H-{world.u}",
            audience=Audience.DIRECTOR,
            template="escalated",
            facts={"level": "3"},
        ),
    )
    assert director.id in result.recipients
    record = await notifications.get(pool, f"H-{world.u}:2:{director.id}")
    assert record is not None and record.delivered_at is not None
    assert record.payload["channels"] == ["log"]


async def test_member_by_id(acts: NotifyActivities, pool: asyncpg.Pool, world: World) -> None:
    req = NotifyRequest(
        key=f"M-{world.u}:1",
        ticket_no=f"M-{world.u}",
        audience=Audience.MEMBER,
        member_id=world.agent.id,
        template="assigned",
        facts={"ack_within": "1h"},
    )
    result = await run(acts, req)
    assert result.recipients == [world.agent.id]


async def test_customer_callback_email_carries_a_signed_feedback_link(
    acts: NotifyActivities, pool: asyncpg.Pool, world: World, smtp: SmtpServer
) -> None:
    ticket_no = await world.ticket(pool, email="li.si@example.com", phone="13812345678")
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    req = NotifyRequest(
        key=f"{ticket_no}:9:customer",
        ticket_no=ticket_no,
        audience=Audience.CUSTOMER,
        template="callback",
        facts={"link_expires_at": expires.isoformat()},
    )

    await run(acts, req)
    await run(acts, req)

    [mail] = smtp.collector.messages
    assert mail["To"] == "li.si@example.com"
    body = mail.get_content()
    prefix = "https://help.example.com/feedback/"
    [link] = [line.strip() for line in body.splitlines() if line.startswith(prefix)]
    token = link.removeprefix(prefix)
    assert feedback_link.verify(token, SECRET).ticket_no == ticket_no
    assert feedback_link.verify(token, SECRET).round == 1
    with pytest.raises(feedback_link.ExpiredToken):
        feedback_link.verify(token, SECRET, now=expires)
    assert feedback_link.verify(token, SECRET, now=expires - timedelta(seconds=1)).ticket_no == ticket_no
    rows = await notifications.for_ticket(pool, ticket_no)
    assert len(rows) == 1 and rows[0].recipient.startswith("customer-")


async def test_callback_link_defaults_to_seven_days(
    acts: NotifyActivities, pool: asyncpg.Pool, world: World, smtp: SmtpServer
) -> None:
    ticket_no = await world.ticket(pool, email="wang@example.com", phone=None)
    await run(
        acts,
        NotifyRequest(
            key=f"{ticket_no}:1", ticket_no=ticket_no, audience=Audience.CUSTOMER, template="callback"
        ),
    )
    body = smtp.collector.messages[0].get_content()
    token = body.split("/feedback/")[1].split()[0]
    now = datetime.now(UTC)
    assert feedback_link.verify(token, SECRET, now=now + timedelta(days=6, hours=23)).ticket_no == ticket_no
    with pytest.raises(feedback_link.ExpiredToken):
        feedback_link.verify(token, SECRET, now=now + timedelta(days=7, minutes=1))


async def test_a_callback_no_message_reaches_becomes_a_call_task_for_the_assignee_with_a_masked_number(
    acts: NotifyActivities, pool: asyncpg.Pool, world: World, smtp: SmtpServer
) -> None:
    world.agent.email = f"agent-{world.u}@example.com"
    await upsert_member(pool, world.agent)
    # A phone, no SMS gateway, no integrator webhook: no message reaches the customer, so someone calls.
    ticket_no = await world.ticket(pool, email=None, phone="138-1234-5678", preferred="phone")

    result = await run(
        acts,
        NotifyRequest(
            key=f"{ticket_no}:5", ticket_no=ticket_no, audience=Audience.CUSTOMER, template="callback"
        ),
    )

    assert result.recipients == [world.agent.id] and result.call_task
    [mail] = smtp.collector.messages
    assert mail["To"] == world.agent.email
    text = mail["Subject"] + mail.get_content()
    assert "138****5678" in text and "李*" in text
    assert "12345678" not in text.replace("-", "") and "李四" not in text
    assert "/feedback/" not in text


async def test_preferred_phone_without_an_sms_gateway_falls_back_to_e_mail(
    acts: NotifyActivities, pool: asyncpg.Pool, world: World, smtp: SmtpServer
) -> None:
    ticket_no = await world.ticket(pool, email="li@example.com", phone="13812345678", preferred="phone")
    request = NotifyRequest(
        key=f"{ticket_no}:3", ticket_no=ticket_no, audience=Audience.CUSTOMER, template="received"
    )
    result = await run(acts, request)
    assert result.recipients[0].startswith("customer-") and not result.call_task
    [mail] = smtp.collector.messages
    assert mail["To"] == "li@example.com"


async def test_an_informational_notice_no_message_reaches_is_on_record_as_unreachable_not_a_call(
    acts: NotifyActivities, pool: asyncpg.Pool, world: World, smtp: SmtpServer
) -> None:
    ticket_no = await world.ticket(pool, email=None, phone="13900001111")
    request = NotifyRequest(
        key=f"{ticket_no}:4", ticket_no=ticket_no, audience=Audience.CUSTOMER, template="received"
    )
    result = await run(acts, request)
    assert not result.call_task and smtp.collector.messages == []
    [row] = await notifications.for_ticket(pool, ticket_no)
    assert row.payload["unreachable"] is True and row.payload["channels"] == ["log"]


async def test_call_task_goes_to_the_supervisor_when_nobody_is_assigned(
    acts: NotifyActivities, pool: asyncpg.Pool, world: World, hook: WebhookReceiver
) -> None:
    ticket_no = await world.ticket(pool, email=None, phone="13900001111")
    await pool.execute("UPDATE tickets SET assignee = NULL WHERE ticket_no = $1", ticket_no)
    result = await run(
        acts,
        NotifyRequest(
            key=f"{ticket_no}:2", ticket_no=ticket_no, audience=Audience.CUSTOMER, template="callback"
        ),
    )
    assert result.recipients == [world.sup.id]
    payload = hook.delivered[0].json()
    assert "139****1111" in payload["body"] and "13900001111" not in payload["body"]


@pytest.mark.parametrize(
    "audience, member_id, team",
    [
        (Audience.MEMBER, "nobody", None),
        (Audience.TEAM_SUPERVISOR, None, "no-such-team"),
        (Audience.DEPARTMENT_HEAD, None, "no-such-team"),
        (Audience.CUSTOMER, None, None),  # no such ticket
    ],
)
async def test_unknown_recipients_are_logged_and_nothing_is_recorded(
    acts: NotifyActivities, pool: asyncpg.Pool, audience: Audience, member_id: str | None, team: str | None
) -> None:
    ticket_no = f"U-{uuid.uuid4().hex[:8]}"
    req = NotifyRequest(
        key=f"{ticket_no}:1",
        ticket_no=ticket_no,
        audience=audience,
        member_id=member_id,
        team=team,
        template="x",
    )
    result = await run(acts, req)
    assert result.recipients == []
    assert await notifications.for_ticket(pool, ticket_no) == []


async def test_missing_member_id_is_a_non_retryable_bad_request(acts: NotifyActivities) -> None:
    req = NotifyRequest(key="B:1", ticket_no="B", audience=Audience.MEMBER, template="assigned")
    with pytest.raises(ApplicationError, match="needs member_id") as info:
        await run(acts, req)
    assert info.value.non_retryable


async def test_malformed_address_is_non_retryable_and_names_the_cause(
    acts: NotifyActivities, pool: asyncpg.Pool, world: World, smtp: SmtpServer
) -> None:
    world.agent.email = "zhang san at example"
    await upsert_member(pool, world.agent)
    req = NotifyRequest(
        key=f"X-{world.u}:1",
        ticket_no=f"X-{world.u}",
        audience=Audience.MEMBER,
        member_id=world.agent.id,
        template="assigned",
    )
    with pytest.raises(ApplicationError, match="malformed e-mail address") as info:
        await run(acts, req)
    assert info.value.non_retryable and info.value.type == "BadAddress"
    assert world.agent.id in str(info.value)
    assert smtp.collector.messages == []


async def test_a_retry_after_a_transient_failure_repeats_only_the_failed_channel(
    acts: NotifyActivities, pool: asyncpg.Pool, world: World, hook: WebhookReceiver, smtp: SmtpServer
) -> None:
    smtp.collector.defer = 1  # the webhook gets through, the mail server says "later" once
    req = NotifyRequest(
        key=f"R-{world.u}:1",
        ticket_no=f"R-{world.u}",
        audience=Audience.TEAM_SUPERVISOR,
        team=world.team.id,
        template="warning",
        facts={"target": "resolution", "due": "2025-01-02T10:00:00+00:00"},
    )

    with pytest.raises(ApplicationError) as info:
        await run(acts, req)
    assert not info.value.non_retryable
    record = await notifications.get(pool, f"{req.key}:{world.sup.id}")
    assert record is not None and record.delivered_at is None

    result = await run(acts, req)  # what Temporal's retry does

    assert result.recipients == [world.sup.id]
    assert len(hook.delivered) == 1
    assert len(smtp.collector.messages) == 1
    rows = await notifications.for_ticket(pool, req.ticket_no)
    assert len(rows) == 1 and rows[0].delivered_at is not None


async def test_webhook_500s_then_success_deliver_exactly_once(
    acts: NotifyActivities, pool: asyncpg.Pool, world: World, hook: WebhookReceiver
) -> None:
    hook.script([500, 500])
    req = NotifyRequest(
        key=f"W-{world.u}:1",
        ticket_no=f"W-{world.u}",
        audience=Audience.TEAM_SUPERVISOR,
        team=world.team.id,
        template="ack_overdue",
    )
    await run(acts, req)
    await run(acts, req)
    assert [r.status for r in hook.requests] == [500, 500, 200]
    assert len(await notifications.for_ticket(pool, req.ticket_no)) == 1


async def test_overlapping_attempts_send_once(
    acts: NotifyActivities, pool: asyncpg.Pool, world: World, hook: WebhookReceiver
) -> None:
    """A timed-out attempt still running while Temporal starts the next must not deliver twice."""
    hook.delay = 0.3
    req = NotifyRequest(
        key=f"O-{world.u}:1",
        ticket_no=f"O-{world.u}",
        audience=Audience.TEAM_SUPERVISOR,
        team=world.team.id,
        template="escalated",
    )
    outcomes = await asyncio.gather(run(acts, req), run(acts, req), return_exceptions=True)

    assert sum(isinstance(o, NotifyResult) for o in outcomes) == 1
    [failed] = [o for o in outcomes if isinstance(o, BaseException)]
    assert isinstance(failed, ApplicationError) and not failed.non_retryable
    assert "another attempt" in failed.message
    assert len(hook.delivered) == 1
    again = await run(acts, req)  # the retry of the loser
    assert again.already_sent and len(hook.delivered) == 1


async def test_a_first_try_on_a_failing_webhook_makes_one_attempt_then_leaves_the_destination_alone(
    pool: asyncpg.Pool, settings: Settings, world: World, hook: WebhookReceiver
) -> None:
    """The first try runs inside the workflow's task, so a failing receiver gets one request and, for the
    next half minute, none from first tries; the retried `notify` delivers what is left, once."""
    # The production channels: one try, a 2 s timeout.
    acts = NotifyActivities(pool, settings.model_copy(update={"channel_webhooks": {}}))
    hook.script([500, 500, 500])
    reqs = [
        NotifyRequest(
            key=f"F-{world.u}:{i}",
            ticket_no=f"F-{world.u}",
            audience=Audience.TEAM_SUPERVISOR,
            team=world.team.id,
            template="escalated",
        )
        for i in (1, 2)
    ]
    for req in reqs:
        with pytest.raises(ApplicationError) as info:
            await acts.first_try(req)
        assert info.value.type == "DeliveryFailed" and not info.value.non_retryable
    assert [r.status for r in hook.requests] == [500]  # the second first-try never reached it
    assert "failed a moment ago" in str(info.value)

    first = await ActivityEnvironment().run(acts.notify, reqs[0])  # Temporal's retried delivery
    assert first.recipients == [world.sup.id]
    assert [r.status for r in hook.requests] == [500, 500, 500, 200]  # notify's own in-call retries
    assert len(hook.delivered) == 1
    row = await notifications.get(pool, f"{reqs[0].key}:{world.sup.id}")
    assert row is not None and row.delivered_at is not None
    assert row.payload["delivered"] == ["log", "webhook"]  # the log line from the first try, not again


async def test_a_first_try_on_healthy_channels_delivers_and_a_retry_sends_nothing_twice(
    acts: NotifyActivities, pool: asyncpg.Pool, world: World, hook: WebhookReceiver, smtp: SmtpServer
) -> None:
    req = NotifyRequest(
        key=f"H-{world.u}:1",
        ticket_no=f"H-{world.u}",
        audience=Audience.TEAM_SUPERVISOR,
        team=world.team.id,
        template="warning",
        facts={"target": "resolution", "due": "2025-01-02T10:00:00+00:00"},
    )
    result = await acts.first_try(req)
    assert result == NotifyResult(recipients=[world.sup.id], already_sent=False)
    again = await ActivityEnvironment().run(acts.notify, req)
    assert again.already_sent
    assert len(hook.delivered) == 1 and len(smtp.collector.messages) == 1


async def test_a_customer_who_prefers_the_phone_gets_one_sms_through_the_gateway_however_often_it_runs(
    pool: asyncpg.Pool, settings: Settings, world: World, hook: WebhookReceiver
) -> None:
    s = settings.model_copy(update={"sms_gateway_url": hook.url, "channel_webhooks": {}})
    acts = NotifyActivities(pool, s, sms=SmsNotifier(hook.url, SECRET, backoff=0.01))
    ticket_no = await world.ticket(pool, email=None, phone="13812345678", preferred="phone")
    hook.script([503])
    req = NotifyRequest(
        key=f"{ticket_no}:1", ticket_no=ticket_no, audience=Audience.CUSTOMER, template="received"
    )
    first = await run(acts, req)
    again = await run(acts, req)
    assert not first.already_sent and again.already_sent
    assert [r.status for r in hook.requests] == [503, 200]
    assert hook.delivered[0].json()["to"] == "13812345678"
