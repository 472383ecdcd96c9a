"""Configuration of one sandbox instance."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_API_VERSION = "2026-10-28.endive"


@dataclass(frozen=True)
class SandboxConfig:
    """How a sandbox instance stores state, authenticates callers and links to its pages.

    ``data_dir`` holds ``sandbox.sqlite3``; ``in_memory=True`` keeps everything in RAM (lost
    on exit). ``api_keys``: the secret keys accepted (``None``: the sandbox's remembered key); keys
    registered through the control API are accepted too (``keys.py``). ``publishable_keys`` of
    ``None`` accept any well-formed ``pk_test_`` key. ``api_version`` must be one of
    ``api_versions.SERVED_API_VERSIONS``.
    ``clock_offset`` starts the sandbox clock that many seconds ahead of wall time (it is
    persisted, so a restarted sandbox keeps the offset it had advanced to). ``business_name``
    is the shop name the hosted checkout page shows the buyer.
    """

    data_dir: Path | str | None = None
    in_memory: bool = False
    api_keys: frozenset[str] | None = None
    publishable_keys: frozenset[str] | None = None
    public_base_url: str = "http://127.0.0.1:12111"
    api_version: str = DEFAULT_API_VERSION
    settle_interval: float | None = 1.0
    async_delay: int = 60
    clock_offset: int = 0
    business_name: str = "Sandbox shop"

    @property
    def database_path(self) -> str:
        if self.in_memory or self.data_dir is None:
            return ":memory:"
        directory = Path(self.data_dir)
        directory.mkdir(parents=True, exist_ok=True)
        return str(directory / "sandbox.sqlite3")
