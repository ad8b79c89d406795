"""The SMS channel: an HTTP SMS gateway, sent signed JSON (HMAC-SHA256), retried, keyed for idempotency."""

from datetime import UTC, datetime

import httpx
from pydantic import BaseModel

from activities.channels.base import OutgoingMessage, PermanentDeliveryError
from activities.channels.webhook import WebhookNotifier, check_url


class SmsPayload(BaseModel):
    """What the gateway receives; `key` is also the Idempotency-Key header, so a retry is one SMS."""

    key: str
    ticket_no: str
    to: str
    text: str
    sent_at: datetime


class SmsNotifier(WebhookNotifier):
    """Delivers to a phone number through the configured gateway URL, with the webhook's retries."""

    channel = "sms"

    def __init__(
        self,
        gateway_url: str,
        secret: str,
        *,
        timeout: float = 5.0,
        attempts: int = 4,
        backoff: float = 0.5,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        check_url(gateway_url)
        super().__init__(secret, timeout=timeout, attempts=attempts, backoff=backoff, transport=transport)
        self._gateway = gateway_url

    async def send(self, address: str, message: OutgoingMessage) -> None:
        if not address.strip():
            raise PermanentDeliveryError("no phone number to send an SMS to")
        payload = SmsPayload(
            key=message.key,
            ticket_no=message.ticket_no,
            to=address,
            text=f"{message.subject}\n{message.body}",
            sent_at=datetime.now(UTC),
        )
        await self._post(self._gateway, payload.model_dump_json().encode(), payload.sent_at, message)
