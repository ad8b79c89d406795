"""Real local servers for notifier tests: an aiosmtpd SMTP server and a signature-checking HTTP receiver."""

import asyncio
import hashlib
import hmac
import json
import socket
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MailCollector:
    """aiosmtpd handler: keeps every accepted message; refuses `refuse@` mailboxes, defers `defer` times."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.defer = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.startswith("refuse@"):
            return "550 5.1.1 no such mailbox"
        if self.defer > 0:
            self.defer -= 1
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.original_content, policy=default_policy)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 Message accepted"


@dataclass
class SmtpServer:
    host: str
    port: int
    collector: MailCollector


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    collector = MailCollector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, collector)
    finally:
        controller.stop()


@dataclass
class Received:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    status: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A minimal HTTP/1.1 server. Answers 401 to a bad signature, else the next scripted status (then 200)."""

    secret: str
    statuses: deque[int] = field(default_factory=deque)
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    url: str = ""

    def script(self, statuses: Iterable[int]) -> None:
        self.statuses.extend(statuses)

    @property
    def delivered(self) -> list[Received]:
        return [r for r in self.requests if 200 <= r.status < 300]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            _method, path, _ = lines[0].split(" ", 2)
            headers = {
                k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
            ok = hmac.compare_digest(expected, headers.get("x-ticketflow-signature", ""))
            if self.delay:
                await asyncio.sleep(self.delay)
            status = (self.statuses.popleft() if self.statuses else 200) if ok else 401
            self.requests.append(Received(time.monotonic(), path, headers, body, ok, status))
            writer.write(
                f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode("latin-1")
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def webhook_receiver(secret: str) -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver(secret)
    server = await asyncio.start_server(receiver._handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    receiver.url = f"http://127.0.0.1:{port}/hooks/ticketflow"
    try:
        yield receiver
    finally:
        server.close()
        await server.wait_closed()
