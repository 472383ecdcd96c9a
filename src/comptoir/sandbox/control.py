"""The control API under ``/_sandbox/``: clock, settlement, deliveries, faults, API faults, logs, reset.

Stripe has no such API, so it lives under a prefix no Stripe path uses. It speaks JSON (bodies
and answers) and wants the sandbox secret key as a Bearer token, like ``/v1``. Handlers are
async so they run on the event loop that owns the delivery worker; engine calls that take the
lock or write SQLite go to a worker thread.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .api_faults import ApiFaults
from .delivery import FORWARD_TARGET, DeliveryWorker
from .errors import StripeError
from .faults import FaultError, Faults
from .http.auth import SECRET_KEY_FORM, authenticate
from .keys import KEPT_ON_RESET, register_key
from .meta import meta_get, meta_set

PREFIX = "/_sandbox"
MAX_DELIVERIES = 1000


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"type": "invalid_request_error", "message": message}}, status_code=status)


def _handler(fn: Any) -> Any:
    """Authenticate, turn ``ControlError`` into a JSON error, and answer JSON."""

    async def endpoint(request: Request) -> JSONResponse:
        try:
            authenticate(_sandbox(request), request.headers.get("authorization"), publishable_ok=False)
        except StripeError as exc:
            return JSONResponse(exc.to_dict(), status_code=exc.http_status)
        try:
            return JSONResponse(await fn(request))
        except ControlError as exc:
            return _error(exc.status, exc.message)

    endpoint.__name__ = fn.__name__
    endpoint.__doc__ = fn.__doc__
    return endpoint


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ControlError(400, f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ControlError(400, "the body must be a JSON object")
    return body


def _sandbox(request: Request) -> Any:
    return request.app.state.sandbox


def _worker(request: Request) -> DeliveryWorker:
    return request.app.state.webhooks


def _clock_state(sandbox: Any) -> dict[str, Any]:
    return {"object": "sandbox.clock", "now": sandbox.clock.now(), "offset": sandbox.clock.offset}


async def get_clock(request: Request) -> dict[str, Any]:
    """The sandbox time (``now``, unix seconds) and how far it runs ahead of wall time."""
    return _clock_state(_sandbox(request))


async def advance_clock(request: Request) -> dict[str, Any]:
    """Move the clock forward by ``seconds`` and run everything that became due."""
    body = await _json_body(request)
    seconds = body.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
        raise ControlError(400, "'seconds' must be a whole number of seconds >= 0")
    sandbox = _sandbox(request)
    await run_in_threadpool(sandbox.advance_clock, seconds)
    return _clock_state(sandbox)


async def settle(request: Request) -> dict[str, Any]:
    """Run everything due at the current sandbox time (expiries, delayed refunds, SEPA)."""
    sandbox = _sandbox(request)
    await run_in_threadpool(sandbox.settle)
    return _clock_state(sandbox)


async def list_deliveries(request: Request) -> dict[str, Any]:
    """Delivery rows, newest first (filter by ``event_id``, ``endpoint_id``, ``status``; at most
    ``limit``, default and maximum 1000), each with its event type and attempt log."""
    query = request.query_params
    status = query.get("status")
    if status is not None and status not in {"pending", "succeeded", "failed"}:
        raise ControlError(400, "'status' must be one of pending, succeeded, failed")
    try:
        limit = int(query.get("limit", MAX_DELIVERIES))
    except ValueError as exc:
        raise ControlError(400, "'limit' must be a whole number") from exc
    if not 1 <= limit <= MAX_DELIVERIES:
        raise ControlError(400, f"'limit' must be between 1 and {MAX_DELIVERIES}")
    sandbox = _sandbox(request)
    worker = _worker(request)

    def read() -> list[dict[str, Any]]:
        with sandbox.lock:
            rows = sandbox.bus.list_deliveries(query.get("event_id"), query.get("endpoint_id"), status)
            rows.sort(
                key=lambda row: (row.get("created") or 0, sandbox.store.seq_of(row["event_id"]) or 0), reverse=True
            )
            for row in rows:
                event = sandbox.store.get(row["event_id"]) or {}
                row["event_type"] = event.get("type")
            return rows

    rows = await run_in_threadpool(read)
    for row in rows:
        row["attempt_log"] = worker.attempts_of(row["event_id"], row["endpoint_id"])
    return {"object": "list", "data": rows[:limit], "has_more": len(rows) > limit}


async def flush_deliveries(request: Request) -> dict[str, Any]:
    """Send at once whatever a reorder window or an injected delay is holding back."""
    return {"released": _worker(request).flush()}


async def resend_delivery(request: Request) -> dict[str, Any]:
    """Deliver an event to a target again (``{"event_id", "endpoint_id"}``), as a new delivery."""
    body = await _json_body(request)
    event_id, endpoint_id = body.get("event_id"), body.get("endpoint_id")
    if not isinstance(event_id, str) or not isinstance(endpoint_id, str):
        raise ControlError(400, "'event_id' and 'endpoint_id' are required strings")
    sandbox = _sandbox(request)
    worker = _worker(request)
    event = sandbox.get(event_id)
    if event is None or event.get("object") != "event":
        raise ControlError(404, f"No such event: '{event_id}'")
    if endpoint_id == FORWARD_TARGET:
        if not worker.settings.forward_to:
            raise ControlError(400, "this sandbox does not forward events (start it with --forward-to)")
    elif (sandbox.get(endpoint_id) or {}).get("object") != "webhook_endpoint":
        raise ControlError(404, f"No such webhook_endpoint: '{endpoint_id}'")
    if worker.busy(event_id, endpoint_id):
        raise ControlError(409, "this delivery is still queued or retrying; wait for its outcome first")
    return await worker.resend(event_id, endpoint_id)


async def get_faults(request: Request) -> dict[str, Any]:
    return _worker(request).faults.to_dict()


async def put_faults(request: Request) -> dict[str, Any]:
    """Replace the fault settings (missing fields take their defaults) and reseed."""
    try:
        faults = Faults.from_dict(await _json_body(request))
    except FaultError as exc:
        raise ControlError(400, str(exc)) from exc
    worker = _worker(request)
    worker.set_faults(faults)
    return worker.faults.to_dict()


async def pay_checkout_session(request: Request) -> dict[str, Any]:
    """Pay an open Checkout Session as a buyer on the hosted page would: ``{"payment_method": "pm_…"}``
    or ``{"iban": "…"}`` (SEPA), with optional ``email`` and ``name`` (used by ``sandbox trigger``)."""
    body = await _json_body(request)
    session_id = request.path_params["session_id"]
    email, name = body.get("email") or "jenny.rosen@example.com", body.get("name") or "Jenny Rosen"
    sandbox = _sandbox(request)
    if isinstance(body.get("iban"), str):
        pay = partial(sandbox.complete_checkout_with_sepa, session_id, iban=body["iban"], email=email, name=name)
    elif isinstance(body.get("payment_method"), str):
        pay = partial(
            sandbox.complete_checkout_with_payment_method, session_id, body["payment_method"], email=email, name=name
        )
    else:
        raise ControlError(400, "give 'payment_method' (a pm_… id) or 'iban'")
    try:
        result = await run_in_threadpool(pay)
    except StripeError as exc:
        raise ControlError(exc.http_status, exc.message) from exc
    return {"object": "sandbox.checkout_payment", "session": session_id, "status": result.status}


async def get_api_faults(request: Request) -> dict[str, Any]:
    plan = request.app.state.api_faults
    return {**plan.faults.to_dict(), "injected": plan.injected, "injected_by_kind": dict(sorted(plan.by_kind.items()))}


async def put_api_faults(request: Request) -> dict[str, Any]:
    """Replace the API fault settings (missing fields take their defaults), reseed, count from 0."""
    try:
        faults = ApiFaults.from_dict(await _json_body(request))
    except FaultError as exc:
        raise ControlError(400, str(exc)) from exc
    request.app.state.api_faults.replace(faults)
    return await get_api_faults(request)


async def list_logs(request: Request) -> dict[str, Any]:
    """The last ``/v1`` requests, oldest first: those after ``after`` (a ``seq``), at most ``limit``."""
    try:
        after = int(request.query_params.get("after", 0))
        limit = int(request.query_params.get("limit", 100))
    except ValueError as exc:
        raise ControlError(400, "'after' and 'limit' must be whole numbers") from exc
    if not 1 <= limit <= MAX_DELIVERIES:
        raise ControlError(400, f"'limit' must be between 1 and {MAX_DELIVERIES}")
    entries = request.app.state.request_log.after(after, limit)
    return {"object": "list", "data": [entry.to_dict() for entry in entries]}


async def webhooks_info(request: Request) -> dict[str, Any]:
    """Forwarding target and secret, retry schedule and faults of this sandbox."""
    worker = _worker(request)
    settings = worker.settings
    forward_secret = await run_in_threadpool(worker.secrets.forward_secret) if settings.forward_to else None
    return {
        "forward_to": settings.forward_to,
        "forward_secret": forward_secret,
        "retry_schedule": list(settings.retry_schedule),
        "timeout": settings.timeout,
        "faults": worker.faults.to_dict(),
        "running": worker.running,
    }


async def roll_secret(request: Request) -> dict[str, Any]:
    """Give an endpoint a new secret; the old one keeps signing for ``expires_in`` seconds."""
    endpoint_id = request.path_params["endpoint_id"]
    body = await _json_body(request)
    expires_in = body.get("expires_in", 24 * 3600)
    if isinstance(expires_in, bool) or not isinstance(expires_in, int):
        raise ControlError(400, "'expires_in' must be a whole number of seconds")
    sandbox = _sandbox(request)
    endpoint = sandbox.get(endpoint_id)
    if endpoint is None or endpoint.get("object") != "webhook_endpoint":
        raise ControlError(404, f"No such webhook_endpoint: '{endpoint_id}'")
    try:
        return await run_in_threadpool(_worker(request).secrets.roll, endpoint_id, expires_in)
    except ValueError as exc:
        raise ControlError(400, str(exc)) from exc


async def add_key(request: Request) -> dict[str, Any]:
    """Accept one more secret key (``{"secret_key": "sk_test_…"}``), e.g. the one a shop's
    configuration already holds; kept across restarts and resets."""
    key = (await _json_body(request)).get("secret_key")
    if not isinstance(key, str) or not SECRET_KEY_FORM.fullmatch(key):
        raise ControlError(400, "secret_key must be a test secret key: sk_test_ followed by letters, digits or _")
    keys = await run_in_threadpool(register_key, _sandbox(request), key)
    return {"registered": sorted(keys)}


async def reset(request: Request) -> dict[str, Any]:
    """Forget every object, event, delivery and idempotency key (API keys and the forwarding
    secret are configuration, not state: they survive)."""
    sandbox = _sandbox(request)
    worker = _worker(request)
    kept = {key: meta_get(sandbox, key) for key in KEPT_ON_RESET}

    def wipe() -> None:
        sandbox.reset()
        for key, value in kept.items():
            if value is not None:
                meta_set(sandbox, key, value)

    worker.forget()
    await run_in_threadpool(wipe)
    return {"object": "sandbox.reset", "reset": True, **_clock_state(sandbox)}


def control_routes() -> list[Route]:
    return [
        Route(f"{PREFIX}/clock", _handler(get_clock), methods=["GET"]),
        Route(f"{PREFIX}/clock/advance", _handler(advance_clock), methods=["POST"]),
        Route(f"{PREFIX}/settle", _handler(settle), methods=["POST"]),
        Route(f"{PREFIX}/deliveries", _handler(list_deliveries), methods=["GET"]),
        Route(f"{PREFIX}/deliveries/flush", _handler(flush_deliveries), methods=["POST"]),
        Route(f"{PREFIX}/deliveries/resend", _handler(resend_delivery), methods=["POST"]),
        Route(f"{PREFIX}/faults", _handler(get_faults), methods=["GET"]),
        Route(f"{PREFIX}/faults", _handler(put_faults), methods=["PUT"]),
        Route(f"{PREFIX}/checkout/sessions/{{session_id}}/pay", _handler(pay_checkout_session), methods=["POST"]),
        Route(f"{PREFIX}/api_faults", _handler(get_api_faults), methods=["GET"]),
        Route(f"{PREFIX}/api_faults", _handler(put_api_faults), methods=["PUT"]),
        Route(f"{PREFIX}/logs", _handler(list_logs), methods=["GET"]),
        Route(f"{PREFIX}/webhooks", _handler(webhooks_info), methods=["GET"]),
        Route(f"{PREFIX}/webhook_endpoints/{{endpoint_id}}/roll_secret", _handler(roll_secret), methods=["POST"]),
        Route(f"{PREFIX}/keys", _handler(add_key), methods=["POST"]),
        Route(f"{PREFIX}/reset", _handler(reset), methods=["POST"]),
    ]
