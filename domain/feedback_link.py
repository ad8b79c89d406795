"""Signed feedback links: a customer answers one callback round without an API key (itsdangerous)."""

from datetime import UTC, datetime

from itsdangerous import BadData, URLSafeSerializer
from pydantic import BaseModel, ConfigDict, Field, ValidationError

_SALT = "ticketflow.feedback-link"


class BadToken(ValueError):
    """Forged or malformed."""


class ExpiredToken(ValueError):
    """Genuine, but past its expiry."""


class FeedbackLink(BaseModel):
    """What a link stands for: one ticket's callback round, until it expires."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    ticket_no: str = Field(alias="t")
    round: int = Field(alias="r", ge=1)
    expires: int = Field(alias="e", description="expiry, seconds since the epoch")


def sign(ticket_no: str, round: int, expires_at: datetime, secret: str) -> str:
    link = FeedbackLink(ticket_no=ticket_no, round=round, expires=int(expires_at.timestamp()))
    return str(URLSafeSerializer(secret, salt=_SALT).dumps(link.model_dump(by_alias=True)))


def verify(token: str, secret: str, now: datetime | None = None) -> FeedbackLink:
    """The link the token was issued as; the signature is checked before anything is decoded."""
    try:
        link = FeedbackLink.model_validate(URLSafeSerializer(secret, salt=_SALT).loads(token))
    except (BadData, ValidationError) as e:
        raise BadToken("the feedback link is not genuine") from e
    if (now or datetime.now(UTC)).timestamp() >= link.expires:
        expired = datetime.fromtimestamp(link.expires, UTC).isoformat()
        raise ExpiredToken(f"the feedback link for {link.ticket_no} expired at {expired}")
    return link
