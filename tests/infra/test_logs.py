"""Logging: JSON lines off a terminal, and every line about a ticket carries its ticket number."""

import io
import json
import logging

import structlog

from infra import logs


def _capture() -> tuple[io.StringIO, logging.Handler]:
    stream = io.StringIO()
    h = logs.handler("auto", stream)  # a StringIO is no terminal: JSON lines
    logging.getLogger().addHandler(h)
    return stream, h


def test_temporal_workflow_and_activity_records_name_their_ticket() -> None:
    stream, h = _capture()
    try:
        log = logging.getLogger("temporalio.workflow")
        log.warning("escalated", extra={"temporal_workflow": {"workflow_id": "202611-000042", "run_id": "r"}})
        log.warning("sent", extra={"temporal_activity": {"workflow_id": "202611-000043", "activity_id": "1"}})
    finally:
        logging.getLogger().removeHandler(h)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["event"], line["ticket_no"]) for line in lines] == [
        ("escalated", "202611-000042"),
        ("sent", "202611-000043"),
    ]
    assert all("temporal_workflow" not in line and "temporal_activity" not in line for line in lines)


def test_structlog_lines_with_bound_ticket_number_are_json() -> None:
    stream, h = _capture()
    try:
        with structlog.contextvars.bound_contextvars(ticket_no="202611-000044"):
            structlog.get_logger("api").warning("ticket opened", channel="phone")
    finally:
        logging.getLogger().removeHandler(h)
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["ticket_no"] == "202611-000044"
    assert line["event"] == "ticket opened" and line["channel"] == "phone" and line["level"] == "warning"


def test_contact_details_typed_into_a_line_are_masked_before_it_is_written() -> None:
    stream, h = _capture()
    try:
        structlog.get_logger("api").warning(
            "客户留言 13812345678", ticket_no="202611-000045", note="邮箱 li.si@example.com"
        )
    finally:
        logging.getLogger().removeHandler(h)
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert (line["event"], line["note"], line["ticket_no"]) == (
        "客户留言 138****5678",
        "邮箱 l***@example.com",
        "202611-000045",
    )
