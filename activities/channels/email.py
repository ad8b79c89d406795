"""The e-mail channel: a plain-text UTF-8 message sent over SMTP with aiosmtplib."""

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import aiosmtplib
from email_validator import EmailNotValidError, validate_email

from activities.channels.base import DeliveryError, OutgoingMessage, PermanentDeliveryError

KEY_HEADER = "X-Ticketflow-Key"


def check_address(address: str) -> str:
    """The normalised address, or PermanentDeliveryError naming what is wrong with it."""
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as e:
        raise PermanentDeliveryError(f"malformed e-mail address: {e}") from e


def build_message(sender: str, to: str, message: OutgoingMessage) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "ticketflow")
    mail[KEY_HEADER] = message.key
    if message.urgent:
        mail["X-Priority"] = "1"
    mail.set_content(message.body, subtype="plain", charset="utf-8")
    return mail


class EmailNotifier:
    channel = "email"

    def __init__(self, host: str, port: int, sender: str, *, timeout: float = 10.0) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._timeout = timeout

    async def send(self, address: str, message: OutgoingMessage) -> None:
        to = check_address(address)
        mail = build_message(self._sender, to, message)
        try:
            await aiosmtplib.send(mail, hostname=self._host, port=self._port, timeout=self._timeout)
        except aiosmtplib.SMTPRecipientsRefused as e:
            codes = [err.code for err in e.recipients]
            if all(500 <= c < 600 for c in codes):
                raise PermanentDeliveryError(f"mail server refused the recipient: {e}") from e
            raise DeliveryError(f"mail server deferred the recipient: {e}") from e
        except aiosmtplib.SMTPResponseException as e:
            if 500 <= e.code < 600 and e.code not in (500, 503):
                raise PermanentDeliveryError(f"mail server refused the message: {e.code} {e.message}") from e
            raise DeliveryError(f"mail server error: {e.code} {e.message}") from e
        except (aiosmtplib.SMTPException, OSError) as e:
            raise DeliveryError(f"SMTP {self._host}:{self._port} unreachable: {e}") from e
