"""The e-mail notifier against a real aiosmtpd SMTP server."""

from collections.abc import Iterator

import pytest

from activities.channels.base import DeliveryError, OutgoingMessage, PermanentDeliveryError
from activities.channels.email import EmailNotifier

from .servers import SmtpServer, free_port, smtp_server

MESSAGE = OutgoingMessage(
    key="202501-000002:7:customer:customer-1",
    ticket_no="202501-000002",
    template="callback",
    recipient="customer-1",
    subject="您的工单 202501-000002 已处理 Your request is resolved",
    body="尊敬的客户,您好!\n\n请为本次服务打分(1–5 分)。\nhttp://127.0.0.1:8000/feedback/abc.def",
)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def notifier(smtp: SmtpServer) -> EmailNotifier:
    return EmailNotifier(smtp.host, smtp.port, "service@ticketflow.example", timeout=5)


async def test_sends_plain_text_utf8(smtp: SmtpServer) -> None:
    await notifier(smtp).send("li.si@example.com", MESSAGE)

    [mail] = smtp.collector.messages
    assert mail["To"] == "li.si@example.com"
    assert mail["From"] == "service@ticketflow.example"
    assert mail["Subject"] == MESSAGE.subject
    assert mail["X-Ticketflow-Key"] == MESSAGE.key
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content_charset() == "utf-8"
    assert mail.get_content().replace("\r\n", "\n").rstrip("\n") == MESSAGE.body  # SMTP sends CRLF


@pytest.mark.parametrize("address", ["no-at-sign", "a@@example.com", "x@localhost", "两个@", ""])
async def test_malformed_address_is_permanent_and_nothing_is_sent(smtp: SmtpServer, address: str) -> None:
    with pytest.raises(PermanentDeliveryError, match="malformed e-mail address"):
        await notifier(smtp).send(address, MESSAGE)
    assert smtp.collector.messages == []


async def test_refused_mailbox_is_permanent(smtp: SmtpServer) -> None:
    with pytest.raises(PermanentDeliveryError, match="refused the recipient"):
        await notifier(smtp).send("refuse@example.com", MESSAGE)


async def test_deferred_mailbox_is_transient(smtp: SmtpServer) -> None:
    smtp.collector.defer = 1
    with pytest.raises(DeliveryError) as info:
        await notifier(smtp).send("later@example.com", MESSAGE)
    assert not isinstance(info.value, PermanentDeliveryError)
    await notifier(smtp).send("later@example.com", MESSAGE)
    assert len(smtp.collector.messages) == 1


async def test_unreachable_server_is_transient() -> None:
    with pytest.raises(DeliveryError, match="unreachable") as info:
        await EmailNotifier("127.0.0.1", free_port(), "s@ticketflow.example", timeout=2).send(
            "a@example.com", MESSAGE
        )
    assert not isinstance(info.value, PermanentDeliveryError)
