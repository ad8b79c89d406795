"""The webhook notifier against a real local HTTP receiver that checks the HMAC signature."""

from collections.abc import AsyncIterator

import pytest

from activities.channels.base import DeliveryError, OutgoingMessage, PermanentDeliveryError
from activities.channels.webhook import WebhookNotifier, verify_signature

from .servers import WebhookReceiver, free_port, webhook_receiver

SECRET = "hook-secret"

MESSAGE = OutgoingMessage(
    key="202501-000001:3:team_supervisor:sup-1",
    ticket_no="202501-000001",
    template="escalated",
    recipient="sup-1",
    subject="工单升级 L1: Ticket 202501-000001",
    body="工单已超时并升级至您处理。",
    urgent=True,
)


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with webhook_receiver(SECRET) as r:
        yield r


def notifier(*, backoff: float = 0.05, timeout: float = 2.0, attempts: int = 4) -> WebhookNotifier:
    return WebhookNotifier(SECRET, backoff=backoff, timeout=timeout, attempts=attempts)


async def test_posts_signed_json_with_timestamp_and_delivery_key(receiver: WebhookReceiver) -> None:
    await notifier().send(receiver.url, MESSAGE)

    [req] = receiver.requests
    assert req.signature_ok and req.status == 200
    assert req.path == "/hooks/ticketflow"
    assert req.headers["content-type"].startswith("application/json")
    assert verify_signature(SECRET, req.body, req.headers["x-ticketflow-signature"])
    assert req.headers["x-ticketflow-delivery"] == MESSAGE.key
    assert int(req.headers["x-ticketflow-timestamp"]) > 1_700_000_000
    payload = req.json()
    assert payload["ticket_no"] == "202501-000001"
    assert payload["subject"] == MESSAGE.subject  # UTF-8 survives the trip
    assert payload["urgent"] is True
    assert "sent_at" in payload


async def test_server_errors_are_retried_with_exponential_backoff_and_delivered_once(
    receiver: WebhookReceiver,
) -> None:
    receiver.script([500, 503])

    await notifier(backoff=0.1).send(receiver.url, MESSAGE)

    assert [r.status for r in receiver.requests] == [500, 503, 200]
    assert len(receiver.delivered) == 1
    first_gap = receiver.requests[1].at - receiver.requests[0].at
    second_gap = receiver.requests[2].at - receiver.requests[1].at
    assert first_gap >= 0.1
    assert second_gap >= 0.2  # doubled
    # The same signed body every attempt, so a receiver can deduplicate on the delivery key.
    assert len({r.body for r in receiver.requests}) == 1


@pytest.mark.parametrize("status", [408, 429])
async def test_408_and_429_mean_later(receiver: WebhookReceiver, status: int) -> None:
    receiver.script([status])
    await notifier().send(receiver.url, MESSAGE)
    assert [r.status for r in receiver.requests] == [status, 200]


@pytest.mark.parametrize("status", [400, 404, 410, 422])
async def test_other_4xx_is_permanent_and_not_retried(receiver: WebhookReceiver, status: int) -> None:
    receiver.script([status])
    with pytest.raises(PermanentDeliveryError, match=f"HTTP {status}"):
        await notifier().send(receiver.url, MESSAGE)
    assert len(receiver.requests) == 1


async def test_a_wrong_secret_is_refused_by_the_receiver(receiver: WebhookReceiver) -> None:
    with pytest.raises(PermanentDeliveryError, match="HTTP 401"):
        await WebhookNotifier("not-the-secret").send(receiver.url, MESSAGE)
    assert [r.signature_ok for r in receiver.requests] == [False]


async def test_persistent_failure_is_transient_after_the_attempts(receiver: WebhookReceiver) -> None:
    receiver.script([502] * 10)
    with pytest.raises(DeliveryError, match="after 3 attempts: HTTP 502") as info:
        await notifier(attempts=3).send(receiver.url, MESSAGE)
    assert not isinstance(info.value, PermanentDeliveryError)
    assert len(receiver.requests) == 3


async def test_a_slow_receiver_times_out_and_is_retried(receiver: WebhookReceiver) -> None:
    receiver.delay = 0.5
    with pytest.raises(DeliveryError, match="Timeout"):
        await notifier(timeout=0.1, attempts=2).send(receiver.url, MESSAGE)


async def test_connection_refused_is_transient() -> None:
    with pytest.raises(DeliveryError, match="ConnectError") as info:
        await notifier(attempts=2).send(f"http://127.0.0.1:{free_port()}/x", MESSAGE)
    assert not isinstance(info.value, PermanentDeliveryError)


@pytest.mark.parametrize("url", ["not a url", "ftp://example.com/hook", "http://", "mailto:a@b.c"])
async def test_malformed_url_is_permanent(url: str) -> None:
    with pytest.raises(PermanentDeliveryError, match="malformed webhook URL"):
        await notifier().send(url, MESSAGE)
