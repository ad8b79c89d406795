"""The `Notifier` protocol, the message every channel delivers, and the two ways a delivery fails."""

from typing import Protocol

from pydantic import BaseModel, ConfigDict


class OutgoingMessage(BaseModel):
    """One rendered message for one recipient; `key` lets a receiver drop a duplicate delivery."""

    model_config = ConfigDict(frozen=True)

    key: str
    ticket_no: str
    template: str
    recipient: str
    subject: str
    body: str
    urgent: bool = False


class DeliveryError(Exception):
    """Transient (timeout, 5xx, connection refused): the activity fails and Temporal retries it."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (malformed address, 4xx, mailbox refused); names the cause."""


class Notifier(Protocol):
    """A delivery channel; `address` is what the channel needs (URL, e-mail address), or '' for the log."""

    channel: str

    async def send(self, address: str, message: OutgoingMessage) -> None: ...
