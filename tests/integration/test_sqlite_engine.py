"""The SQLite engine: every transaction takes the write lock when it begins, and the process's
transactions queue on the engine's writer lock rather than on SQLite's sleeping busy handler."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, event, select, text
from sqlalchemy.dialects.sqlite import DATETIME

from comptoir.adapters.db.engine import make_engine
from comptoir.records.base import UTCDateTime


def _try_write_lock(path: str) -> str:
    """Ask SQLite for the write lock from an unrelated connection, without waiting."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return "free"
    except sqlite3.OperationalError as exc:
        return f"locked: {exc}"
    finally:
        other.close()


def test_a_transaction_holds_the_write_lock_from_its_first_read(sqlite_url: str) -> None:
    # given the engine and the database file it opens
    engine = make_engine(sqlite_url)
    path = engine.url.database
    assert path is not None

    # when a transaction has only read so far
    with engine.begin() as conn:
        conn.execute(text("SELECT count(*) FROM orders")).scalar_one()
        during = _try_write_lock(path)

    # then nobody else could start writing meanwhile (so a read-then-write never deadlocks on
    # the lock upgrade), and the lock is free once it ends
    assert during.startswith("locked"), during
    assert _try_write_lock(path) == "free"
    engine.dispose()


def test_transactions_of_one_engine_wait_for_each_other_in_process(sqlite_url: str) -> None:
    # given an engine whose SQLite connections never wait for a lock themselves (busy timeout 0),
    # and a transaction open in this thread
    engine = make_engine(sqlite_url)

    @event.listens_for(engine, "connect")
    def _no_busy_wait(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout=0")

    second_began = threading.Event()
    errors: list[Exception] = []

    def second() -> None:
        try:
            with engine.begin() as conn:
                second_began.set()
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            errors.append(exc)

    with engine.begin() as conn:
        conn.execute(text("SELECT 1"))
        # when another thread opens one
        worker = threading.Thread(target=second)
        worker.start()
        # then it waits on the engine's lock (SQLite alone would fail it at once: "database is locked")
        assert not second_began.wait(0.3)
    # and begins as soon as the first is over
    worker.join(timeout=10)
    assert errors == []
    assert second_began.is_set()
    engine.dispose()


def test_only_the_standard_sqlite3_driver_is_accepted(tmp_path: Path) -> None:
    # given a SQLite URL naming another driver; when an engine is made; then it says which one works
    with pytest.raises(ValueError, match="sqlite3 only"):
        make_engine(f"sqlite+pysqlcipher:///{tmp_path / 'x.db'}")


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 22, 21, 46, 55, 123456, tzinfo=UTC),
        datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=2))),  # no microseconds, not UTC
        datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
    ],
)
def test_datetimes_are_written_as_sqlalchemy_writes_sqlite_datetimes(sqlite_url: str, moment: datetime) -> None:
    # given a table with a UTC datetime column, and the text SQLAlchemy's own SQLite DATETIME
    # would store (rows written before comptoir formatted it itself, and ordering compares text)
    table = Table("moments", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime()))
    engine = make_engine(sqlite_url)
    table.create(engine)
    expected = DATETIME().bind_processor(engine.dialect)(moment.astimezone(UTC).replace(tzinfo=None))  # type: ignore[misc]

    # when a value is written and read back
    with engine.begin() as conn:
        conn.execute(table.insert(), {"id": 1, "at": moment})
        stored = conn.execute(text("SELECT at FROM moments")).scalar_one()
        read = conn.execute(select(table.c.at)).scalar_one()

    # then the stored text is the same, and it reads back as the same instant, in UTC
    assert stored == expected
    assert read == moment and read.tzinfo is UTC
    engine.dispose()
