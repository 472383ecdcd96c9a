"""The session cookie's codec: what it accepts and what it refuses (forged, malformed, lapsed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from comptoir.web.sessions import PageSession, SessionCodec

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
DAY = 12 * 60 * 60


def test_a_session_comes_back_as_it_was_signed() -> None:
    codec = SessionCodec("s" * 40, DAY)
    session = PageSession.anonymous(NOW).signed_in(7, NOW).with_flash("signed_out")
    assert codec.decode(codec.encode(session), NOW + timedelta(hours=11)) == session


def test_signing_in_gives_a_new_csrf_secret() -> None:
    anonymous = PageSession.anonymous(NOW)
    assert anonymous.signed_in(7, NOW).csrf != anonymous.csrf


@pytest.mark.parametrize(
    "value",
    ["", "garbage", "eyJ1IjoxfQ.forged", "a" * 5000],
)
def test_malformed_and_forged_cookies_are_nobody(value: str) -> None:
    assert SessionCodec("s" * 40, DAY).decode(value, NOW) is None


def test_a_cookie_signed_with_another_secret_is_nobody() -> None:
    theirs = SessionCodec("t" * 40, DAY).encode(PageSession.anonymous(NOW).signed_in(1, NOW))
    assert SessionCodec("s" * 40, DAY).decode(theirs, NOW) is None


def test_a_session_unused_for_longer_than_the_idle_time_has_lapsed() -> None:
    codec = SessionCodec("s" * 40, DAY)
    value = codec.encode(PageSession.anonymous(NOW).signed_in(7, NOW))
    assert codec.decode(value, NOW + timedelta(seconds=DAY)) is not None
    assert codec.decode(value, NOW + timedelta(seconds=DAY + 1)) is None
