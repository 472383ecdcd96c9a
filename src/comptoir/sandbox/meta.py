"""Small settings the delivery side keeps in the store's ``meta`` table (secrets, printed keys).

They are written under the engine's transaction, so they reach SQLite with the same lock and
commit as everything else and survive a restart of the same data folder.
"""

from __future__ import annotations

from typing import Any


def meta_get(sandbox: Any, key: str) -> str | None:
    with sandbox.lock:
        return sandbox.store.meta.get(key)


def meta_set(sandbox: Any, key: str, value: str) -> None:
    with sandbox.transaction():
        sandbox.store.set_meta(key, value)
