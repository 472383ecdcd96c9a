"""One request, end to end: auth, decoding, idempotency, the handler, expand, the JSON reply.

The handler runs synchronously inside one engine transaction, so the state change, its events
and the saved idempotent response are committed together, and the event loop is never handed
to another request half-way through an operation.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..api_versions import refusal
from ..engine import Sandbox
from ..errors import StripeError, api_error, invalid_param
from ..events import RequestContext, current_request
from ..expand import expand
from ..forms import decode_form
from ..idempotency import canonical_params
from ..ids import new_id
from ..param_shapes import GET_EXTRAS
from ..param_shapes import unknown_parameter as unknown_nested
from ..params import Params
from .auth import authenticate

log = logging.getLogger(__name__)

_dumps = json.JSONEncoder(indent=None, separators=(",", ":"), ensure_ascii=False).encode


@dataclass
class Call:
    sb: Sandbox
    params: Params
    path: dict[str, str]
    publishable: bool


Handler = Callable[[Call], dict[str, Any]]


def _response(status: int, body: bytes, headers: dict[str, str]) -> Response:
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def request_log_url(sb: Sandbox, request_id: str) -> str:
    """Stripe's errors link to the request's log in the Dashboard; the sandbox's link keeps
    Stripe's path on the sandbox's own host."""
    return f"{sb.config.public_base_url.rstrip('/')}/test/logs/{request_id}?t={sb.clock.now()}"


def error_body(sb: Sandbox, error: StripeError, request_id: str) -> bytes:
    return _dumps(error.to_dict(request_log_url(sb, request_id))).encode()


def error_response(sb: Sandbox, error: StripeError, request_id: str, version: str) -> Response:
    headers = {"Request-Id": request_id, "Stripe-Version": version, **error.headers}
    if error.http_status == 409:
        headers["Stripe-Should-Retry"] = "true"
    return _response(error.http_status, error_body(sb, error, request_id), headers)


def unknown_parameter(params: dict[str, Any], allowed: frozenset[str]) -> StripeError | None:
    for name in params:
        if name not in allowed:
            return invalid_param(f"Received unknown parameter: {name}", name, code="parameter_unknown")
    return None


def api_endpoint(
    sb: Sandbox,
    handler: Handler,
    *,
    publishable_ok: bool = False,
    allowed: frozenset[str] | None = None,
    shape: type | None = None,
) -> Callable[[Request], Awaitable[Response]]:
    """``allowed``: the top-level POST parameters the endpoint accepts (``None``: no check);
    ``shape``: the SDK's request type, checked at every depth (see ``param_shapes``)."""
    config = sb.config

    async def endpoint(request: Request) -> Response:
        request_id = new_id("req", 14)
        version = request.headers.get("stripe-version") or config.api_version
        method = request.method
        try:
            publishable = authenticate(sb, request.headers.get("authorization"), publishable_ok)
            refused = refusal(version)
            if refused is not None:
                raise refused
            if method == "POST":
                raw = await request.body()
                params = decode_form(raw)
                if request.url.query:
                    params = {**decode_form(request.url.query), **params}
            else:
                params = decode_form(request.url.query)
            if allowed is not None and method == "POST":
                unknown = unknown_parameter(params, allowed)
                if unknown is not None:
                    raise unknown
            if shape is not None:
                extras = (allowed or frozenset()) if method == "POST" else GET_EXTRAS
                unknown = unknown_nested(params, shape, extras)
                if unknown is not None:
                    raise unknown
        except StripeError as error:
            return error_response(sb, error, request_id, version)
        key = request.headers.get("idempotency-key") if method == "POST" else None
        path = request.url.path
        headers = {"Request-Id": request_id, "Stripe-Version": version}
        with sb.transaction():
            canonical = ""
            if key:
                canonical = canonical_params(params)
                try:
                    saved = sb.idempotency.check(key, method, path, canonical)
                except StripeError as error:
                    return error_response(sb, error, request_id, version)
                if saved is not None:
                    headers.update(
                        {
                            "Idempotency-Key": key,
                            "Idempotent-Replayed": "true",
                            "Original-Request": saved.original_request_id,
                        }
                    )
                    return _response(saved.status, saved.body, headers)
                headers["Idempotency-Key"] = key
            token = current_request.set(RequestContext(request_id, key))
            stored = True
            try:
                call = Call(sb, Params(params), request.path_params, publishable)
                result = handler(call)
                expand_param = params.get("expand")
                expand_paths = (
                    expand_param
                    if isinstance(expand_param, list)
                    else ([expand_param] if isinstance(expand_param, str) else [])
                )
                body = _dumps(expand(sb, result, expand_paths)).encode()
                status = 200
            except StripeError as error:
                stored = error.stored
                status = error.http_status
                body = error_body(sb, error, request_id)
                headers.update(error.headers)
            except Exception:
                log.exception("sandbox handler failed on %s %s", method, path)
                failure = api_error()
                status, body = failure.http_status, error_body(sb, failure, request_id)
            finally:
                current_request.reset(token)
                if key:
                    if stored:
                        sb.idempotency.save(key, method, path, canonical, status, body, request_id)
                    sb.idempotency.release(key)
        return _response(status, body, headers)

    return endpoint
