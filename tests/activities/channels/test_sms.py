"""The SMS notifier against a local HTTP gateway that checks the signature: retried on 5xx, sent once."""

from collections.abc import AsyncIterator

import pytest

from activities.channels.base import OutgoingMessage, PermanentDeliveryError
from activities.channels.sms import SmsNotifier

from .servers import WebhookReceiver, webhook_receiver

SECRET = "gateway-secret"
MESSAGE = OutgoingMessage(
    key="202612-000009:4:customer:customer-7",
    ticket_no="202612-000009",
    template="received",
    recipient="customer-7",
    subject="已受理:工单 202612-000009",
    body="您好!您的问题已受理。",
)


@pytest.fixture
async def gateway() -> AsyncIterator[WebhookReceiver]:
    async with webhook_receiver(SECRET) as r:
        yield r


async def test_a_signed_sms_is_retried_on_5xx_and_sent_once(gateway: WebhookReceiver) -> None:
    gateway.script([500, 502])
    await SmsNotifier(gateway.url, SECRET, backoff=0.01).send("13812345678", MESSAGE)
    assert [r.status for r in gateway.requests] == [500, 502, 200]
    assert all(r.signature_ok for r in gateway.requests)
    assert {r.headers["idempotency-key"] for r in gateway.requests} == {MESSAGE.key}
    [sent] = gateway.delivered
    body = sent.json()
    assert (body["to"], body["key"]) == ("13812345678", MESSAGE.key)
    assert body["text"] == f"{MESSAGE.subject}\n{MESSAGE.body}"


async def test_a_gateway_refusing_the_number_is_permanent(gateway: WebhookReceiver) -> None:
    gateway.script([400])
    with pytest.raises(PermanentDeliveryError):
        await SmsNotifier(gateway.url, SECRET, backoff=0.01).send("13812345678", MESSAGE)
    assert len(gateway.requests) == 1
