"""One log line a request, naming the ticket when the path holds one (pure ASGI: no per-request task)."""

import re
import time
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("api")

_TICKET_IN_PATH = re.compile(r"^/tickets/([0-9A-Za-z-]{1,64})(?:/|$)")


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        path: str = scope["path"]
        fields: dict[str, Any] = {"method": scope["method"], "path": path}
        match = _TICKET_IN_PATH.match(path)
        if match:
            fields["ticket_no"] = match.group(1)

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with structlog.contextvars.bound_contextvars(**fields):
            try:
                await self.app(scope, receive, send_and_note)
            finally:
                ms = round((time.perf_counter() - started) * 1000, 1)
                if path != "/healthz":
                    log.info("request", status=status, ms=ms)
