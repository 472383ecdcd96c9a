"""Webhook endpoints: where events are delivered, each with its own ``whsec_`` secret.

The secret is returned only by create, as on Stripe; delivery code reads it with
``Sandbox.webhook_secret``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import invalid_param, resource_missing
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
    return events


def create(sb: Sandbox, p: Params) -> dict[str, Any]:
    url = p.str("url", required=True)
    if not url.startswith(("http://", "https://")):
        raise invalid_param("Invalid URL: must be an http or https URL.", "url", code="url_invalid")
    events = _events(p)
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
        api_version=p.str("api_version"),
    )
    secret = new_secret()
    sb.store.add("webhook_endpoint", endpoint, {"secret": secret})
    return dict(endpoint, secret=secret)


def update(sb: Sandbox, endpoint: dict[str, Any], p: Params) -> dict[str, Any]:
    if p.has("url"):
        endpoint["url"] = p.str("url", required=True)
    if p.has("enabled_events"):
        endpoint["enabled_events"] = _events(p)
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
