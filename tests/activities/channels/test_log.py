"""The log notifier: one structured line naming the ticket, and never the message body."""

import logging

import pytest

from activities.channels.base import OutgoingMessage
from activities.channels.log import LogNotifier


async def test_one_line_with_ticket_no_and_no_body(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="activities.channels.log")
    message = OutgoingMessage(
        key="T9:1:customer-3",
        ticket_no="T9",
        template="callback",
        recipient="customer-3",
        subject="Your request T9 is resolved",
        body="https://help.example.com/feedback/secret-token",
    )

    await LogNotifier().send("", message)

    [record] = [r for r in caplog.records if r.name == "activities.channels.log"]
    event = record.msg
    assert isinstance(event, dict)
    assert event["event"] == "notification"
    assert event["ticket_no"] == "T9" and event["key"] == "T9:1:customer-3"
    assert "secret-token" not in str(event)
