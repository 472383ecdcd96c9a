"""Engines for SQLite (embedded default) and PostgreSQL, tuned for correctness under concurrency.

SQLite: WAL so readers never block the writer, a busy timeout so writers queue instead of
failing, foreign keys on, and every transaction opened with BEGIN IMMEDIATE. Without the
latter, two transactions that both read and then write deadlock on the lock upgrade and one
fails with "database is locked" (see SQLAlchemy's "Serializable isolation / Savepoints /
Transactional DDL" notes for pysqlite).

Within one process, SQLite transactions also queue on a lock of the engine, taken before BEGIN
IMMEDIATE and given back when the connection returns to the pool. SQLite's own busy handler
waits by sleeping 1, 2, 5 … up to 100 ms between retries, so under concurrent webhooks the
database sat idle while waiters slept (p99 above 2 s for 10 ms transactions); a waiter on the
lock starts the moment the holder is done. Other processes still queue on the busy timeout.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def _sqlite_engine(url: str, database: str | None, **kwargs: Any) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("check_same_thread", False)
    connect_args.setdefault("timeout", 30)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    writer = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        record = conn.connection._connection_record
        # After WRITER_WAIT the lock is presumed lost and SQLite's busy timeout takes over.
        if record is not None and not record.record_info.get(_HOLDS_WRITER) and writer.acquire(timeout=WRITER_WAIT):
            record.record_info[_HOLDS_WRITER] = True
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        if record.record_info.pop(_HOLDS_WRITER, False):
            writer.release()

    return engine


def serialises_transactions(engine: Engine) -> bool:
    """True when the process runs one transaction at a time anyway (SQLite's writer lock)."""
    return engine.dialect.name == "sqlite"


WRITER_WAIT = 30.0
_HOLDS_WRITER = "comptoir_holds_writer_lock"
