"""State: every object in memory, written through to SQLite at the end of each transaction.

Reads never touch SQLite (a restarted sandbox loads everything once at start-up). Writes are
collected while an operation runs and flushed in one SQLite transaction by ``flush()``, so an
object change, its events and the idempotent response it produced are saved together.

The store is not thread-safe by itself: the engine serialises access with its lock.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, seq INTEGER NOT NULL,
    data TEXT NOT NULL, private TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS objects_kind_seq ON objects (kind, seq);
CREATE TABLE IF NOT EXISTS deliveries (
    event_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (event_id, endpoint_id));
CREATE TABLE IF NOT EXISTS idempotency_keys (
    key TEXT PRIMARY KEY, created INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY, due_at INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_dumps = json.JSONEncoder(separators=(",", ":")).encode


class Store:
    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self.objects: dict[str, dict[str, Any]] = {}
        self.private: dict[str, dict[str, Any]] = {}
        self._kind: dict[str, str] = {}
        self._seq: dict[str, int] = {}
        self._by_kind: dict[str, list[str]] = defaultdict(list)
        self._next_seq = 1
        self.deliveries: dict[tuple[str, str], dict[str, Any]] = {}
        self.idempotency: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.meta: dict[str, str] = {}
        self._dirty: set[str] = set()
        self._deleted: set[str] = set()
        self._dirty_deliveries: set[tuple[str, str]] = set()
        self._dirty_keys: set[str] = set()
        self._pruned_keys: set[str] = set()
        self._dirty_tasks: set[str] = set()
        self._done_tasks: set[str] = set()
        self._dirty_meta: set[str] = set()
        self._load()

    def _load(self) -> None:
        rows = self._db.execute("SELECT id, kind, seq, data, private FROM objects ORDER BY seq")
        for object_id, kind, seq, data, private in rows:
            self.objects[object_id] = json.loads(data)
            self.private[object_id] = json.loads(private)
            self._kind[object_id] = kind
            self._seq[object_id] = seq
            self._by_kind[kind].append(object_id)
            self._next_seq = seq + 1
        for event_id, endpoint_id, data in self._db.execute("SELECT event_id, endpoint_id, data FROM deliveries"):
            self.deliveries[(event_id, endpoint_id)] = json.loads(data)
        for key, data in self._db.execute("SELECT key, data FROM idempotency_keys"):
            self.idempotency[key] = json.loads(data)
        for task_id, data in self._db.execute("SELECT id, data FROM tasks"):
            self.tasks[task_id] = json.loads(data)
        for key, value in self._db.execute("SELECT key, value FROM meta"):
            self.meta[key] = value

    # --- objects -----------------------------------------------------------------------

    def add(self, kind: str, obj: dict[str, Any], private: dict[str, Any] | None = None) -> dict[str, Any]:
        object_id = obj["id"]
        self.objects[object_id] = obj
        self.private[object_id] = private or {}
        self._kind[object_id] = kind
        self._seq[object_id] = self._next_seq
        self._next_seq += 1
        self._by_kind[kind].append(object_id)
        self._dirty.add(object_id)
        return obj

    def get(self, object_id: str, kind: str | None = None) -> dict[str, Any] | None:
        obj = self.objects.get(object_id)
        if obj is None or (kind is not None and self._kind[object_id] != kind):
            return None
        return obj

    def linked(self, object_id: str, kind: str) -> dict[str, Any]:
        """An object another one points at (a PaymentIntent's charge, its payment method): it exists."""
        obj = self.get(object_id, kind)
        if obj is None:
            raise LookupError(f"no {kind} {object_id}")
        return obj

    def seq_of(self, object_id: str) -> int | None:
        return self._seq.get(object_id)

    def save(self, object_id: str) -> None:
        """Mark an object (mutated in place) for the next flush."""
        self._dirty.add(object_id)

    def delete(self, object_id: str) -> None:
        kind = self._kind.pop(object_id)
        self.objects.pop(object_id)
        self.private.pop(object_id, None)
        self._seq.pop(object_id)
        self._by_kind[kind].remove(object_id)
        self._dirty.discard(object_id)
        self._deleted.add(object_id)

    def newest_first(self, kind: str) -> Iterator[dict[str, Any]]:
        objects = self.objects
        for object_id in reversed(self._by_kind.get(kind, ())):
            yield objects[object_id]

    def count(self, kind: str) -> int:
        return len(self._by_kind.get(kind, ()))

    # --- deliveries, idempotency keys, tasks, meta ----------------------------------------

    def put_delivery(self, delivery: dict[str, Any]) -> None:
        key = (delivery["event_id"], delivery["endpoint_id"])
        self.deliveries[key] = delivery
        self._dirty_deliveries.add(key)

    def put_idempotency(self, key: str, record: dict[str, Any]) -> None:
        self.idempotency[key] = record
        self._dirty_keys.add(key)

    def drop_idempotency(self, key: str) -> None:
        self.idempotency.pop(key, None)
        self._dirty_keys.discard(key)
        self._pruned_keys.add(key)

    def put_task(self, task: dict[str, Any]) -> None:
        self.tasks[task["id"]] = task
        self._dirty_tasks.add(task["id"])

    def finish_task(self, task_id: str) -> None:
        self.tasks.pop(task_id, None)
        self._dirty_tasks.discard(task_id)
        self._done_tasks.add(task_id)

    def set_meta(self, key: str, value: str) -> None:
        self.meta[key] = value
        self._dirty_meta.add(key)

    # --- persistence ---------------------------------------------------------------------

    def flush(self) -> None:
        if not (
            self._dirty
            or self._deleted
            or self._dirty_deliveries
            or self._dirty_keys
            or self._pruned_keys
            or self._dirty_tasks
            or self._done_tasks
            or self._dirty_meta
        ):
            return
        db = self._db
        db.execute("BEGIN")
        try:
            if self._dirty:
                db.executemany(
                    "INSERT OR REPLACE INTO objects (id, kind, seq, data, private) VALUES (?, ?, ?, ?, ?)",
                    [
                        (i, self._kind[i], self._seq[i], _dumps(self.objects[i]), _dumps(self.private[i]))
                        for i in self._dirty
                    ],
                )
            if self._deleted:
                db.executemany("DELETE FROM objects WHERE id = ?", [(i,) for i in self._deleted])
            if self._dirty_deliveries:
                db.executemany(
                    "INSERT OR REPLACE INTO deliveries (event_id, endpoint_id, data) VALUES (?, ?, ?)",
                    [(e, w, _dumps(self.deliveries[(e, w)])) for e, w in self._dirty_deliveries],
                )
            if self._dirty_keys:
                db.executemany(
                    "INSERT OR REPLACE INTO idempotency_keys (key, created, data) VALUES (?, ?, ?)",
                    [(k, self.idempotency[k]["created"], _dumps(self.idempotency[k])) for k in self._dirty_keys],
                )
            if self._pruned_keys:
                db.executemany("DELETE FROM idempotency_keys WHERE key = ?", [(k,) for k in self._pruned_keys])
            if self._dirty_tasks:
                db.executemany(
                    "INSERT OR REPLACE INTO tasks (id, due_at, data) VALUES (?, ?, ?)",
                    [(t, self.tasks[t]["due_at"], _dumps(self.tasks[t])) for t in self._dirty_tasks],
                )
            if self._done_tasks:
                db.executemany("DELETE FROM tasks WHERE id = ?", [(t,) for t in self._done_tasks])
            if self._dirty_meta:
                db.executemany(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    [(k, self.meta[k]) for k in self._dirty_meta],
                )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self._clear_pending()

    def _clear_pending(self) -> None:
        """Forget what is waiting to be written (after it was written, or on a reset)."""
        for pending in (
            self._dirty,
            self._deleted,
            self._dirty_deliveries,
            self._dirty_keys,
            self._pruned_keys,
            self._dirty_tasks,
            self._done_tasks,
            self._dirty_meta,
        ):
            pending.clear()

    def reset(self) -> None:
        """Forget everything (used by the control API's reset)."""
        self._db.executescript(
            "DELETE FROM objects; DELETE FROM deliveries; DELETE FROM idempotency_keys; "
            "DELETE FROM tasks; DELETE FROM meta;"
        )
        for container in (
            self.objects,
            self.private,
            self._kind,
            self._seq,
            self._by_kind,
            self.deliveries,
            self.idempotency,
            self.tasks,
            self.meta,
        ):
            container.clear()
        self._clear_pending()

    def close(self) -> None:
        self.flush()
        self._db.close()
