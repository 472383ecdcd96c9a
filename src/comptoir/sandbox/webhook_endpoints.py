"""Webhook endpoints: where events are delivered, each with its own ``whsec_`` secret.

The secret is returned only by create, as on Stripe; delivery code reads it with
``Sandbox.webhook_secret``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .api_versions import refusal
from .errors import invalid_param, resource_missing
from .event_types import known_event_types
from .objects.webhook_endpoint import build_webhook_endpoint
from .params import Params, merge_metadata
from .signing import new_secret

if TYPE_CHECKING:
    from .engine import Sandbox

MAX_ENDPOINTS = 16


def get(sb: Sandbox, endpoint_id: str) -> dict[str, Any]:
    endpoint = sb.store.get(endpoint_id, "webhook_endpoint")
    if endpoint is None:
        raise resource_missing("webhook_endpoint", endpoint_id)
    return endpoint


def _events(p: Params) -> list[str]:
    events = [str(e) for e in p.list("enabled_events")]
    if not events:
        raise invalid_param("Missing required param: enabled_events.", "enabled_events", code="parameter_missing")
    known = known_event_types()
    for index, name in enumerate(events):
        if name not in known:
            raise invalid_param(
                f"Invalid enabled_events[{index}]: must be one of {', '.join(sorted(known))}",
                f"enabled_events[{index}]",
                code="parameter_invalid_string",
            )
    return events


def _url(p: Params) -> str:
    url = p.str("url", required=True)
    if not url.startswith(("http://", "https://")):
        raise invalid_param("Invalid URL: must be an http or https URL.", "url", code="url_invalid")
    return url


def _api_version(p: Params) -> str | None:
    version = p.str("api_version")
    refused = refusal(version, "api_version") if version is not None else None
    if refused is not None:
        raise refused
    return version


def create(sb: Sandbox, p: Params) -> dict[str, Any]:
    url = _url(p)
    events = _events(p)
    api_version = _api_version(p)
    if sb.store.count("webhook_endpoint") >= MAX_ENDPOINTS:
        raise invalid_param(
            f"You have reached the maximum of {MAX_ENDPOINTS} test webhook endpoints.", "url", code=None
        )
    endpoint = build_webhook_endpoint(
        sb.clock.now(),
        url=url,
        enabled_events=events,
        description=p.str("description"),
        metadata=p.metadata(),
        api_version=api_version,
    )
    secret = new_secret()
    sb.store.add("webhook_endpoint", endpoint, {"secret": secret})
    return dict(endpoint, secret=secret)


def update(sb: Sandbox, endpoint: dict[str, Any], p: Params) -> dict[str, Any]:
    url = _url(p) if p.has("url") else None
    events = _events(p) if p.has("enabled_events") else None
    if url is not None:
        endpoint["url"] = url
    if events is not None:
        endpoint["enabled_events"] = events
    if p.has("description"):
        endpoint["description"] = p.str("description")
    if p.has("disabled"):
        endpoint["status"] = "disabled" if p.bool("disabled") else "enabled"
    endpoint["metadata"] = merge_metadata(endpoint["metadata"], p.metadata())
    sb.store.save(endpoint["id"])
    return endpoint


def delete(sb: Sandbox, endpoint: dict[str, Any]) -> dict[str, Any]:
    sb.store.delete(endpoint["id"])
    return {"id": endpoint["id"], "object": "webhook_endpoint", "deleted": True}
