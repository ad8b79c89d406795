"""Feedback links are checked before anything in them is believed: no input but a genuine link passes."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.feedback_link import BadToken, ExpiredToken, sign, verify

SECRET = "s" * 40
LATER = datetime.now(UTC) + timedelta(days=7)


def test_a_genuine_link_names_its_ticket_and_callback_round() -> None:
    link = verify(sign("202612-000001", 2, LATER, SECRET), SECRET)
    assert (link.ticket_no, link.round) == ("202612-000001", 2)


def test_the_probe_that_once_answered_500_is_simply_not_genuine() -> None:
    with pytest.raises(BadToken):
        verify("MS45OTk5OTk5OTk5OTk5OTk5OTk5OQ.AA", SECRET)


def test_a_link_signed_with_another_secret_or_altered_is_refused() -> None:
    token = sign("202612-000001", 1, LATER, SECRET)
    with pytest.raises(BadToken):
        verify(token, "x" * 40)
    payload, _, mac = token.partition(".")
    altered = payload[:4] + ("A" if payload[4] != "A" else "B") + payload[5:]  # inside the payload
    with pytest.raises(BadToken):
        verify(f"{altered}.{mac}", SECRET)


def test_a_genuine_link_past_its_expiry_is_expired_not_forged() -> None:
    token = sign("202612-000001", 1, datetime(2026, 1, 1, tzinfo=UTC), SECRET)
    with pytest.raises(ExpiredToken):
        verify(token, SECRET)


@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_any_other_text_is_refused_as_not_genuine(token: str) -> None:
    with pytest.raises(BadToken):
        verify(token, SECRET)
