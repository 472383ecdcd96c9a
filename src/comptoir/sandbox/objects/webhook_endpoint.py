from __future__ import annotations

from typing import Any

from ..ids import new_id


def build_webhook_endpoint(
    now: int,
    *,
    url: str,
    enabled_events: list[str],
    description: str | None,
    metadata: dict[str, str] | None,
    api_version: str | None,
) -> dict[str, Any]:
    return {
        "id": new_id("we", 24),
        "object": "webhook_endpoint",
        "api_version": api_version,
        "application": None,
        "created": now,
        "description": description,
        "enabled_events": enabled_events,
        "livemode": False,
        "metadata": metadata or {},
        "status": "enabled",
        "url": url,
    }
