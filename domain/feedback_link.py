"""Signed feedback links: a customer answers the callback without an API key (HMAC-SHA256, expiry)."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime


class BadToken(ValueError):
    """Forged or malformed."""


class ExpiredToken(ValueError):
    """Genuine, but past its expiry."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def sign(ticket_no: str, expires_at: datetime, secret: str) -> str:
    body = f"{ticket_no}.{int(expires_at.timestamp())}"
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return f"{_b64(body.encode())}.{_b64(mac)}"


def verify(token: str, secret: str, now: datetime | None = None) -> str:
    """The ticket number the token was issued for; raises BadToken or ExpiredToken."""
    try:
        body_b64, mac_b64 = token.split(".")
        body = base64.urlsafe_b64decode(body_b64 + "=" * (-len(body_b64) % 4)).decode()
        mac = base64.urlsafe_b64decode(mac_b64 + "=" * (-len(mac_b64) % 4))
        ticket_no, expires = body.rsplit(".", 1)
        expires_at = datetime.fromtimestamp(int(expires), UTC)
    except (ValueError, UnicodeDecodeError) as e:
        raise BadToken("malformed feedback token") from e
    expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        raise BadToken("feedback token signature does not verify")
    if (now or datetime.now(UTC)) >= expires_at:
        raise ExpiredToken(f"feedback link for {ticket_no} expired at {expires_at.isoformat()}")
    return ticket_no
