"""The attempt counters, one contract: `limits` in process memory and in a real Redis (skipped when
none answers), and the shop's own database (SQLite and PostgreSQL).

Redis is optional here (one instance needs none); a test that needs it and finds none is skipped
and says so. Keys are unique per test, so runs sharing one Redis never see each other's counts.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from comptoir.adapters.db.attempts import SqlAttemptCounter
from comptoir.adapters.db.engine import make_engine
from comptoir.adapters.rate_limits import LimitsAttemptCounter, RateLimitStorageInvalid
from comptoir.domain.errors import UpstreamUnavailable
from comptoir.records.attempts import CountedAttempt
from comptoir.services.ports import AttemptCounter, AttemptLimit

REDIS_URL = os.environ.get("COMPTOIR_TEST_REDIS_URL", "redis://127.0.0.1:6379")
THREE_PER_HOUR = AttemptLimit("test-limit", 3, 3600)


def _redis_answers() -> bool:
    host, _, port = REDIS_URL.removeprefix("redis://").rpartition("@")[2].partition("/")[0].partition(":")
    try:
        with socket.create_connection((host, int(port or 6379)), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(
    params=[
        "memory://",
        pytest.param(REDIS_URL, marks=pytest.mark.skipif(not _redis_answers(), reason="no Redis")),
        "database-sqlite",
        pytest.param("database-postgresql", marks=pytest.mark.postgres),
    ],
    ids=["memory", "redis", "database-sqlite", "database-postgresql"],
)
def counter(request: pytest.FixtureRequest) -> Iterator[AttemptCounter]:
    if not request.param.startswith("database-"):
        yield LimitsAttemptCounter(request.param)
        return
    url = request.getfixturevalue("sqlite_url" if request.param == "database-sqlite" else "_pg_database")
    engine = make_engine(url)
    yield SqlAttemptCounter(engine)
    engine.dispose()


@pytest.fixture
def key() -> str:
    return f"client-{uuid.uuid4().hex}@example.com"


def test_attempts_fit_until_the_limit_then_the_wait_is_the_rest_of_the_window(
    counter: AttemptCounter, key: str
) -> None:
    # given two attempts counted under a limit of three per hour
    for _ in range(2):
        counter.count(THREE_PER_HOUR, key)
    # then a third still fits
    assert counter.seconds_until_allowed(THREE_PER_HOUR, key) == 0
    # when it is counted, then the next one waits for the oldest to leave the window
    counter.count(THREE_PER_HOUR, key)
    assert 3590 <= counter.seconds_until_allowed(THREE_PER_HOUR, key) <= 3600


def test_keys_and_limits_are_counted_apart_and_forget_clears_one(counter: AttemptCounter, key: str) -> None:
    # given a key at its limit
    for _ in range(3):
        counter.count(THREE_PER_HOUR, key)
    # then another key, and the same key under another limit, are untouched
    assert counter.seconds_until_allowed(THREE_PER_HOUR, f"other-{key}") == 0
    assert counter.seconds_until_allowed(AttemptLimit("other-limit", 3, 3600), key) == 0
    # when the key is forgotten, then it may try again
    counter.forget(THREE_PER_HOUR, key)
    assert counter.seconds_until_allowed(THREE_PER_HOUR, key) == 0


def test_two_instances_on_one_redis_count_together(key: str) -> None:
    # given two app instances pointed at the same Redis
    if not _redis_answers():
        pytest.skip("no Redis")
    first, second = LimitsAttemptCounter(REDIS_URL), LimitsAttemptCounter(REDIS_URL)
    # when each counts attempts of the same key
    first.count(THREE_PER_HOUR, key)
    second.count(THREE_PER_HOUR, key)
    first.count(THREE_PER_HOUR, key)
    # then both see the limit reached
    assert second.seconds_until_allowed(THREE_PER_HOUR, key) > 0
    assert first.seconds_until_allowed(THREE_PER_HOUR, key) > 0


def test_an_unreachable_store_refuses_with_a_clear_503_error(key: str) -> None:
    # given a Redis URL where nothing listens
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    counter = LimitsAttemptCounter(f"redis://127.0.0.1:{port}")
    # when an attempt is checked, then it is refused as a provider outage, never let through uncounted
    with pytest.raises(UpstreamUnavailable) as refused:
        counter.seconds_until_allowed(THREE_PER_HOUR, key)
    assert refused.value.code == "rate_limit_unavailable"


def test_a_storage_uri_limits_cannot_use_is_refused_at_start_without_its_password() -> None:
    # when the storage URI names no known storage, then building the counter fails and hides the password
    with pytest.raises(RateLimitStorageInvalid) as refused:
        LimitsAttemptCounter("nosuchstore://user:hunter2@host:1")
    assert "hunter2" not in str(refused.value)
    assert "***@host:1" in str(refused.value)


def test_in_the_database_an_attempt_leaves_the_window_when_its_time_has_passed(db_url: str, key: str) -> None:
    # given a clock we move, and three attempts a minute apart under a limit of three per hour
    now = [1_000_000.0]
    engine = make_engine(db_url)
    counter = SqlAttemptCounter(engine, clock=lambda: now[0])
    for _ in range(3):
        counter.count(THREE_PER_HOUR, key)
        now[0] += 60
    # then the next waits until the first is an hour old
    assert counter.seconds_until_allowed(THREE_PER_HOUR, key) == 3600 - 180
    # when that hour has passed, then one more fits, and counting it drops the expired row
    now[0] = 1_000_000.0 + 3600
    assert counter.seconds_until_allowed(THREE_PER_HOUR, key) == 0
    counter.count(THREE_PER_HOUR, key)
    with engine.connect() as conn:
        left = conn.scalar(select(func.count()).select_from(CountedAttempt).where(CountedAttempt.key == key))
    engine.dispose()
    assert left == 3
