"""The webhook channel: HTTP POST of JSON, HMAC-SHA256 signed, with timeout and backoff retries."""

import asyncio
import functools
import hashlib
import hmac
import ssl
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
import structlog

from activities.channels.base import DeliveryError, OutgoingMessage, PermanentDeliveryError

log = structlog.get_logger(__name__)

SIGNATURE_HEADER = "X-Ticketflow-Signature"
TIMESTAMP_HEADER = "X-Ticketflow-Timestamp"
DELIVERY_HEADER = "X-Ticketflow-Delivery"

# 408 and 429 say "later", not "never"; every other 4xx is the receiver refusing this request for good.
_RETRYABLE_4XX = frozenset({408, 429})


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for the process: building one (loading the CA bundle) costs ~30 ms of CPU, which
    a client made per delivery paid on every notice."""
    return httpx.create_ssl_context()


def signature(secret: str, body: bytes) -> str:
    """The header value a receiver recomputes: `sha256=` + hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(signature(secret, body), header)


class WebhookPayload(OutgoingMessage):
    """The JSON body; `sent_at` is inside the signed body, so the timestamp cannot be replayed altered."""

    sent_at: datetime


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentDeliveryError(f"malformed webhook URL {url!r}: needs http(s)://host")


class WebhookNotifier:
    channel = "webhook"

    def __init__(
        self,
        secret: str,
        *,
        timeout: float = 5.0,
        attempts: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._secret = secret
        self._timeout = timeout
        self._attempts = attempts
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._transport = transport

    def _delay(self, attempt: int) -> float:
        return float(min(self._backoff * 2**attempt, self._max_backoff))

    async def send(self, address: str, message: OutgoingMessage) -> None:
        check_url(address)
        payload = WebhookPayload(**message.model_dump(), sent_at=datetime.now(UTC))
        await self._post(address, payload.model_dump_json().encode(), payload.sent_at, message)

    async def _post(self, address: str, body: bytes, sent_at: datetime, message: OutgoingMessage) -> None:
        """POST the signed body, retried with backoff on 5xx, 408, 429 and network errors."""
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: signature(self._secret, body),
            TIMESTAMP_HEADER: str(int(sent_at.timestamp())),
            DELIVERY_HEADER: message.key,
            "Idempotency-Key": message.key,
        }
        last = ""
        async with httpx.AsyncClient(
            timeout=self._timeout, transport=self._transport, verify=_tls()
        ) as client:
            for attempt in range(self._attempts):
                if attempt:
                    await asyncio.sleep(self._delay(attempt - 1))
                try:
                    response = await client.post(address, content=body, headers=headers)
                except httpx.InvalidURL as e:
                    raise PermanentDeliveryError(f"malformed webhook URL {address!r}: {e}") from e
                except httpx.HTTPError as e:
                    last = f"{type(e).__name__}: {e}"
                else:
                    code = response.status_code
                    if code < 300:
                        return
                    if 400 <= code < 500 and code not in _RETRYABLE_4XX:
                        raise PermanentDeliveryError(
                            f"webhook {address} refused the notification: HTTP {code}"
                        )
                    last = f"HTTP {code}"
                log.warning(
                    "webhook attempt failed",
                    ticket_no=message.ticket_no,
                    key=message.key,
                    attempt=attempt + 1,
                    error=last,
                )
        raise DeliveryError(f"webhook {address} failed after {self._attempts} attempts: {last}")
