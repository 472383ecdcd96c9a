"""Engines for SQLite (embedded default) and PostgreSQL, tuned for correctness under concurrency.

SQLite: WAL so readers never block the writer, a busy timeout so writers queue instead of
failing, foreign keys on, and every transaction opened with BEGIN IMMEDIATE. Without the
latter, two transactions that both read and then write deadlock on the lock upgrade and one
fails with "database is locked" (see SQLAlchemy's "Serializable isolation / Savepoints /
Transactional DDL" notes for pysqlite). The BEGIN is the dialect's `do_begin`, not the
notes' "begin" event: any engine-level connection event makes SQLAlchemy dispatch four
events around every statement, a measurable share of the Python calls of a small statement
(docs/benchmarks.md, "Figures behind the fast paths").

Within one process, SQLite transactions also queue on a lock of the engine, taken before BEGIN
IMMEDIATE and given back when the connection returns to the pool. SQLite's own busy handler
waits by sleeping 1, 2, 5 … up to 100 ms between retries, so under concurrent webhooks the
database sat idle while waiters slept (a tail of seconds for transactions of milliseconds); a waiter on the
lock starts the moment the holder is done. Other processes still queue on the busy timeout.

Readers that never write (the merchant feed) get their own engine (`make_read_engine`): on SQLite its
transactions open with a plain, deferred BEGIN on `query_only` connections, so they read a WAL snapshot
without taking the writer lock or queueing with the writers; on PostgreSQL it is the same engine.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import make_url
from sqlalchemy.pool import PoolProxiedConnection


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


class ImmediateSQLiteDialect(SQLiteDialect_pysqlite):
    """The standard library's sqlite3, every transaction opened with the engine's writer lock
    and BEGIN IMMEDIATE."""

    supports_statement_cache = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writer = threading.Lock()

    def do_begin(self, dbapi_connection: PoolProxiedConnection) -> None:
        held = dbapi_connection.record_info
        # After WRITER_WAIT the lock is presumed lost and SQLite's busy timeout takes over.
        if held is not None and not held.get(_HOLDS_WRITER) and self.writer.acquire(timeout=WRITER_WAIT):
            held[_HOLDS_WRITER] = True
        dbapi_connection.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]


registry.register("sqlite.comptoir", __name__, "ImmediateSQLiteDialect")


class ReadOnlySQLiteDialect(SQLiteDialect_pysqlite):
    """The standard library's sqlite3, every transaction a deferred BEGIN: a snapshot, no writer lock."""

    supports_statement_cache = True

    def do_begin(self, dbapi_connection: PoolProxiedConnection) -> None:
        dbapi_connection.driver_connection.execute("BEGIN")  # type: ignore[union-attr]


registry.register("sqlite.comptoir_read", __name__, "ReadOnlySQLiteDialect")


def make_read_engine(engine: Engine) -> Engine:
    """An engine for transactions that only read, on `engine`'s database.

    On a SQLite file, a second engine whose connections refuse writes and never take the writer
    lock (WAL, set by the writers' engine, lets them read while a writer commits). Elsewhere
    (PostgreSQL, or an in-memory SQLite that a second engine would not share) `engine` itself:
    dispose the result only if it is not `engine`.
    """
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return engine
    reader = create_engine(
        url.set(drivername="sqlite+comptoir_read"), connect_args={"check_same_thread": False, "timeout": 30}
    )

    @event.listens_for(reader, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA query_only=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    return reader


def _sqlite_engine(url: str, database: str | None, **kwargs: Any) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    parsed = make_url(url)
    if parsed.get_driver_name() != "pysqlite":
        raise ValueError(f"SQLite is supported through Python's sqlite3 only (sqlite:///…), not {parsed.drivername}")
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("check_same_thread", False)
    connect_args.setdefault("timeout", 30)
    engine = create_engine(parsed.set(drivername="sqlite+comptoir"), connect_args=connect_args, **kwargs)
    dialect = engine.dialect
    assert isinstance(dialect, ImmediateSQLiteDialect)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        if record.record_info.pop(_HOLDS_WRITER, False):
            dialect.writer.release()

    return engine


def serialises_transactions(engine: Engine) -> bool:
    """True when the process runs one transaction at a time anyway (SQLite's writer lock)."""
    return engine.dialect.name == "sqlite"


WRITER_WAIT = 30.0
_HOLDS_WRITER = "comptoir_holds_writer_lock"
