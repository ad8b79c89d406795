"""A notification's first try: one attempt a channel, and a destination that has just failed is passed over
for a while, so a dead receiver costs the first message a short timeout and the next ones nothing."""

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from activities.channels.base import DeliveryError, Notifier, OutgoingMessage, PermanentDeliveryError

COOL_OFF_S = 30.0


def destination(channel: str, address: str) -> str:
    """What fails together: a webhook's host; for e-mail, the one SMTP server every address goes through."""
    if channel == "webhook":
        return f"webhook:{urlsplit(address).netloc}"
    return channel


class CoolingOff:
    """Destinations that failed a first try in the last `pause` seconds (one instance a worker process)."""

    def __init__(self, pause: float = COOL_OFF_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._pause = pause
        self._clock = clock
        self._until: dict[str, float] = {}

    def failed(self, where: str) -> None:
        self._until[where] = self._clock() + self._pause

    def cooling(self, where: str) -> bool:
        until = self._until.get(where)
        if until is None:
            return False
        if self._clock() >= until:
            del self._until[where]
            return False
        return True


class FirstTry:
    """A one-attempt notifier behind a cooling-off: a transient failure, or a destination still cooling off,
    raises DeliveryError at once and the retried `notify` activity takes the message over."""

    def __init__(self, inner: Notifier, cooling: CoolingOff) -> None:
        self.channel = inner.channel
        self._inner = inner
        self._cooling = cooling

    async def send(self, address: str, message: OutgoingMessage) -> None:
        where = destination(self.channel, address)
        if self._cooling.cooling(where):
            raise DeliveryError(f"{where} failed a moment ago; left to the retried delivery")
        try:
            await self._inner.send(address, message)
        except PermanentDeliveryError:
            raise
        except DeliveryError:
            self._cooling.failed(where)
            raise
