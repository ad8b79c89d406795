"""The notify activity: resolve the audience, render the message, deliver it once per recipient."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog
from pydantic import BaseModel, ConfigDict
from temporalio import activity
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

from activities.channels.base import DeliveryError, Notifier, OutgoingMessage, PermanentDeliveryError
from activities.channels.email import EmailNotifier
from activities.channels.log import LogNotifier
from activities.channels.quick import CoolingOff, FirstTry
from activities.channels.sms import SmsNotifier
from activities.channels.webhook import WebhookNotifier
from domain import feedback_link
from domain.enums import Channel
from domain.masking import mask_name, mask_phone
from domain.messages import RenderedMessage, render_call_task, render_customer, render_staff
from domain.notices import load_notices
from domain.notification import Audience, NotifyRequest, NotifyResult
from infra.settings import Settings
from store import notifications as store
from store.directory import Member

log = structlog.get_logger(__name__)

# What a workflow should use when it calls notify. Transient failures (SMTP down, webhook 5xx after the
# in-call retries) come back retryable; a bad address is "BadAddress", non-retryable.
NOTIFY_START_TO_CLOSE = timedelta(minutes=2)
PERMANENT_ERRORS = ("BadAddress", "BadNotifyRequest")
NOTIFY_RETRY_POLICY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=20,
    non_retryable_error_types=list(PERMANENT_ERRORS),
)
FEEDBACK_LINK_LIFETIME = timedelta(days=7)
# The notices that ask for the customer's answer: they carry the signed link, and become a call task when
# no message reaches the customer.
FEEDBACK_TEMPLATES = frozenset({"callback"})
# A delivery may retry within the call for ~25 s; heartbeats let a short heartbeat timeout notice a worker
# that died mid-delivery in seconds, not after the whole start-to-close timeout.
HEARTBEAT_EVERY = 2.0
NOTIFY_HEARTBEAT_TIMEOUT = timedelta(seconds=10)
# A first try (inside a step's local activity) waits this long on a channel.
FIRST_TRY_WEBHOOK_TIMEOUT = 2.0
FIRST_TRY_EMAIL_TIMEOUT = 3.0


@asynccontextmanager
async def _heartbeating() -> AsyncIterator[None]:
    if not activity.in_activity() or activity.info().is_local:  # a local activity has no heartbeat
        yield
        return

    async def beat() -> None:
        # Not at once: most deliveries are over in milliseconds, and every heartbeat is a server write.
        while True:
            await asyncio.sleep(HEARTBEAT_EVERY)
            activity.heartbeat()

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()


class _Delivery(BaseModel):
    """One recipient of one request: who, what, and the addresses of the channels that reach them."""

    model_config = ConfigDict(frozen=True)

    recipient: str
    message: RenderedMessage
    email: str | None = None
    webhook_url: str | None = None
    sms_to: str | None = None
    call_task: bool = False  # a task for staff standing in for a customer no message reaches
    unreachable: bool = False  # a customer no channel reaches: on record, logged, not sent


class _Payload(BaseModel):
    """What the notifications row keeps (`delivered` grows as channels succeed)."""

    audience: Audience
    subject: str
    channels: list[str]
    delivered: list[str] = []
    unreachable: bool = False


class NotifyActivities:
    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        *,
        webhook: Notifier | None = None,
        email: Notifier | None = None,
        sms: Notifier | None = None,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._notices = load_notices(settings.notices_file)
        self._log: Notifier = LogNotifier()
        self._webhook: Notifier = webhook or WebhookNotifier(settings.secret_key.get_secret_value())
        self._email: Notifier | None = email or (
            EmailNotifier(settings.smtp_host, settings.smtp_port, settings.smtp_sender)
            if settings.smtp_host
            else None
        )
        secret = settings.secret_key.get_secret_value()
        gateway = settings.sms_gateway_url
        self._sms: Notifier | None = sms or (SmsNotifier(gateway, secret) if gateway else None)
        # The first try's channels: one attempt, a short timeout, a destination that just failed skipped.
        cooling = CoolingOff()
        self._first_sms: Notifier | None = (
            FirstTry(
                sms or SmsNotifier(gateway, secret, timeout=FIRST_TRY_WEBHOOK_TIMEOUT, attempts=1), cooling
            )
            if self._sms is not None
            else None
        )
        self._first_webhook: Notifier = FirstTry(
            webhook
            or WebhookNotifier(
                settings.secret_key.get_secret_value(), timeout=FIRST_TRY_WEBHOOK_TIMEOUT, attempts=1
            ),
            cooling,
        )
        self._first_email: Notifier | None = (
            FirstTry(
                email
                or EmailNotifier(
                    settings.smtp_host,
                    settings.smtp_port,
                    settings.smtp_sender,
                    timeout=FIRST_TRY_EMAIL_TIMEOUT,
                ),
                cooling,
            )
            if self._email is not None
            else None
        )

    @activity.defn(name="notify")
    async def notify(self, req: NotifyRequest) -> NotifyResult:
        async with _heartbeating():
            return await self._notify(req, first_try=False)

    async def first_try(self, req: NotifyRequest) -> NotifyResult:
        """One attempt a channel with a short timeout, none at all for a destination that failed in the
        last half minute; any failure leaves the message to `notify`. What it delivered is not sent again."""
        return await self._notify(req, first_try=True)

    async def first_tries(self, reqs: list[NotifyRequest]) -> tuple[list[str], list[str]]:
        """`first_try` for each message, inside a step's write: the keys of those left to `notify` (a
        permanent failure is on record and named in a warning, as `notify` leaves it), and of those that
        became a call task."""
        retry: list[str] = []
        calls: list[str] = []
        for req in reqs:
            try:
                if (await self.first_try(req)).call_task:
                    calls.append(req.key)
            except ApplicationError as e:
                if e.type in PERMANENT_ERRORS:
                    log.warning("notification failed", ticket_no=req.ticket_no, key=req.key, error=str(e))
                else:
                    retry.append(req.key)
            except Exception as e:  # noqa: BLE001  (the retried activity takes over whatever broke here)
                log.warning("first try failed", ticket_no=req.ticket_no, key=req.key, error=repr(e))
                retry.append(req.key)
        return retry, calls

    async def _notify(self, req: NotifyRequest, first_try: bool) -> NotifyResult:
        deliveries = await self._plan(req)
        if not deliveries:
            log.warning(
                "notification has no recipient",
                ticket_no=req.ticket_no,
                key=req.key,
                audience=req.audience.value,
                member_id=req.member_id,
                team=req.team,
                template=req.template,
            )
            return NotifyResult()
        sent_now = 0
        permanent: list[str] = []
        transient: list[str] = []
        for d in deliveries:
            try:
                sent_now += await self._deliver(req, d, first_try)
            except PermanentDeliveryError as e:
                permanent.append(f"{d.recipient}: {e}")
            except DeliveryError as e:
                transient.append(f"{d.recipient}: {e}")
        if transient:
            # Retryable even when some other recipient's address is bad: the retry redoes only what failed.
            raise ApplicationError("; ".join(transient + permanent), type="DeliveryFailed")
        if permanent:
            raise ApplicationError("; ".join(permanent), type="BadAddress", non_retryable=True)
        return NotifyResult(
            recipients=[d.recipient for d in deliveries],
            already_sent=sent_now == 0,
            call_task=any(d.call_task for d in deliveries),
        )

    async def _deliver(self, req: NotifyRequest, d: _Delivery, first_try: bool) -> int:
        """Deliver through every channel not yet done: 1 if anything was sent now, 0 if all was before."""
        key = f"{req.key}:{d.recipient}"
        webhook, email, sms = (self._webhook, self._email, self._sms)
        if first_try:
            webhook, email, sms = (self._first_webhook, self._first_email, self._first_sms)
        channels: list[tuple[Notifier, str]] = [(self._log, "")]
        if d.webhook_url:
            channels.append((webhook, d.webhook_url))
        if d.email and email is not None:
            channels.append((email, d.email))
        if d.sms_to and sms is not None:
            channels.append((sms, d.sms_to))
        payload = _Payload(
            audience=req.audience,
            subject=d.message.subject,
            channels=[n.channel for n, _ in channels],
            unreachable=d.unreachable,
        )
        async with store.delivery_lock(self._pool, key) as conn:
            if conn is None:
                raise DeliveryError(f"another attempt is delivering {key}")
            return await self._deliver_locked(conn, req, d, key, channels, payload)

    async def _deliver_locked(
        self,
        conn: store.Executor,
        req: NotifyRequest,
        d: _Delivery,
        key: str,
        channels: list[tuple[Notifier, str]],
        payload: _Payload,
    ) -> int:
        record = await store.claim(
            conn, key, req.ticket_no, d.recipient, req.template, payload.model_dump(mode="json")
        )
        if record.delivered_at is not None:
            log.info(
                "notification already delivered", ticket_no=req.ticket_no, key=key, recipient=d.recipient
            )
            return 0
        done = set(_Payload.model_validate(record.payload).delivered)
        message = OutgoingMessage(
            key=key,
            ticket_no=req.ticket_no,
            template=req.template,
            recipient=d.recipient,
            subject=d.message.subject,
            body=d.message.body,
            urgent=req.urgent,
        )
        pending = [(notifier, address) for notifier, address in channels if notifier.channel not in done]
        for n, (notifier, address) in enumerate(pending, 1):
            try:
                await notifier.send(address, message)
            except DeliveryError as e:
                log.warning(
                    "notification delivery failed",
                    ticket_no=req.ticket_no,
                    key=key,
                    recipient=d.recipient,
                    channel=notifier.channel,
                    permanent=isinstance(e, PermanentDeliveryError),
                    error=str(e),
                )
                raise
            if n < len(pending):
                await store.mark_channel_delivered(conn, key, notifier.channel)
            else:  # the last channel and the whole message in one write
                await store.mark_delivered(conn, key, notifier.channel)
        if not pending:  # every channel went out before, and the attempt stopped short of saying so
            await store.mark_delivered(conn, key)
        return 1

    async def _plan(self, req: NotifyRequest) -> list[_Delivery]:
        if req.audience is Audience.CUSTOMER:
            return await self._plan_customer(req)
        if req.audience is Audience.MEMBER:
            if not req.member_id:
                raise _bad_request(req, "audience member needs member_id")
            member = await store.get_member(self._pool, req.member_id)
            members = [member] if member else []
        elif req.audience is Audience.DIRECTOR:
            members = await store.directors(self._pool)
        else:
            if not req.team:
                raise _bad_request(req, f"audience {req.audience.value} needs team")
            if req.audience is Audience.TEAM_SUPERVISOR:
                members = await store.team_supervisors(self._pool, req.team)
            else:
                members = await store.department_heads(self._pool, req.team)
        message = render_staff(req.template, req.ticket_no, req.facts)
        return [_staff(m, message) for m in members]

    async def _plan_customer(self, req: NotifyRequest) -> list[_Delivery]:
        """Seed 004 (通过客户偏好的联系方式反馈): the customer's preferred channel if it reaches them, else
        the integrator's channel, e-mail, SMS; none does: a call task for a callback, else on record."""
        contact = await store.ticket_contact(self._pool, req.ticket_no)
        if contact is None:
            return []
        link = None
        if req.template in FEEDBACK_TEMPLATES:
            token = feedback_link.sign(
                req.ticket_no,
                _link_round(req),
                _link_expiry(req),
                self._settings.secret_key.get_secret_value(),
            )
            link = f"{self._settings.base_url()}/feedback/{token}"
        message = render_customer(req.template, req.ticket_no, req.facts, link, self._notices)
        recipient = f"customer-{contact.customer_id}"
        if req.facts.get("call") != "1":
            for reach in self._reaches(contact):
                return [reach.model_copy(update={"recipient": recipient, "message": message})]
        if req.template not in FEEDBACK_TEMPLATES:
            log.warning("customer unreachable: notice on record only", ticket_no=req.ticket_no, key=req.key)
            return [_Delivery(recipient=recipient, message=message, unreachable=True)]
        return await self._call_task(req, contact)

    def _reaches(self, contact: store.TicketContact) -> list[_Delivery]:
        """The ways to the customer that are configured, preferred first, then the ticket's channel."""
        blank = RenderedMessage(subject="", body="")
        ways: dict[str, _Delivery] = {}
        if contact.email and self._email is not None:
            ways[Channel.EMAIL.value] = _Delivery(recipient="", message=blank, email=contact.email)
        if contact.phone and self._sms is not None:
            ways[Channel.PHONE.value] = _Delivery(recipient="", message=blank, sms_to=contact.phone)
        for channel, url in self._settings.channel_webhooks.items():
            ways.setdefault(channel.value, _Delivery(recipient="", message=blank, webhook_url=url))
        order = [contact.preferred_contact, contact.channel, Channel.EMAIL.value, Channel.PHONE.value]
        return [ways[c] for c in dict.fromkeys(order) if c is not None and c in ways]

    async def _call_task(self, req: NotifyRequest, contact: store.TicketContact) -> list[_Delivery]:
        """Someone has to call: the holder, else the team's supervisors; the task shows the number masked
        (the full one is in the ticket, behind the audit log)."""
        callers: list[Member] = []
        if contact.assignee:
            assignee = await store.get_member(self._pool, contact.assignee)
            callers = [assignee] if assignee else []
        team = contact.team or req.team
        if not callers and team:
            callers = await store.team_supervisors(self._pool, team)
        phone = mask_phone(contact.phone) if contact.phone else "-"
        task = render_call_task(req.template, req.ticket_no, req.facts, mask_name(contact.name), phone)
        log.info(
            "customer reachable by no message: call task",
            ticket_no=req.ticket_no,
            key=req.key,
            phone=phone,
            callers=[m.id for m in callers],
        )
        return [_staff(m, task).model_copy(update={"call_task": True}) for m in callers]


def _staff(member: Member, message: RenderedMessage) -> _Delivery:
    return _Delivery(recipient=member.id, message=message, email=member.email, webhook_url=member.webhook_url)


def _bad_request(req: NotifyRequest, why: str) -> ApplicationError:
    log.error("bad notify request", ticket_no=req.ticket_no, key=req.key, error=why)
    return ApplicationError(f"notify {req.key}: {why}", type="BadNotifyRequest", non_retryable=True)


def _link_round(req: NotifyRequest) -> int:
    raw = req.facts.get("round", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise _bad_request(req, f"round {raw!r} is not a callback round")
    return int(raw)


def _link_expiry(req: NotifyRequest) -> datetime:
    raw = req.facts.get("link_expires_at")
    if not raw:
        return datetime.now(UTC) + FEEDBACK_LINK_LIFETIME
    try:
        at = datetime.fromisoformat(raw)
    except ValueError as e:
        raise _bad_request(req, f"link_expires_at {raw!r} is not an ISO datetime") from e
    return at if at.tzinfo else at.replace(tzinfo=UTC)
