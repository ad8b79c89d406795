"""A local webhook receiver that fails on a schedule: HTTP 500s, then hangs past the sender's timeout,
then recovers; it checks every HMAC signature and counts what it accepted, per delivery key."""

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

from activities.channels.webhook import DELIVERY_HEADER, SIGNATURE_HEADER, verify_signature
from cli.embedded import free_port


@dataclass
class Attempt:
    key: str
    at: float
    answer: str  # "500", "hang" or "200"
    signed: bool


@dataclass
class FailingReceiver:
    secret: str
    errors_for: float  # seconds of HTTP 500 from start()
    hangs_for: float  # then seconds of no answer at all
    hang: float = 8.0  # longer than the sender's 5 s timeout
    port: int = field(default_factory=free_port)
    attempts: list[Attempt] = field(default_factory=list)
    _t0: float = 0.0
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @property
    def refuses_until(self) -> float:
        return self._t0 + self.errors_for

    @property
    def recovers_at(self) -> float:
        return self._t0 + self.errors_for + self.hangs_for

    def accepted(self) -> Counter[str]:
        return Counter(a.key for a in self.attempts if a.answer == "200")

    async def start(self) -> None:
        self._t0 = time.monotonic()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers = {}
                for line in head.decode().split("\r\n")[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                now = time.monotonic()
                elapsed = now - self._t0
                answer = (
                    "500"
                    if elapsed < self.errors_for
                    else "hang"
                    if elapsed < self.recovers_at - self._t0
                    else "200"
                )
                signed = verify_signature(self.secret, body, headers.get(SIGNATURE_HEADER.lower(), ""))
                self.attempts.append(Attempt(headers.get(DELIVERY_HEADER.lower(), ""), now, answer, signed))
                if answer == "hang":
                    await asyncio.sleep(self.hang)
                    return
                status = b"200 OK" if answer == "200" else b"500 Internal Server Error"
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
