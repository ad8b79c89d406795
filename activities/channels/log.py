"""The log channel: one structured line per notification, always, whatever else delivers it."""

import structlog

from activities.channels.base import OutgoingMessage

log = structlog.get_logger(__name__)


class LogNotifier:
    channel = "log"

    async def send(self, address: str, message: OutgoingMessage) -> None:
        # The subject only: bodies to customers carry their feedback link, which is a credential.
        log.info(
            "notification",
            ticket_no=message.ticket_no,
            key=message.key,
            recipient=message.recipient,
            template=message.template,
            subject=message.subject,
            urgent=message.urgent,
        )
