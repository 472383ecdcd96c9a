"""The outermost layer of the sandbox app: API fault injection and the request log.

It has to sit outside Starlette's own middleware: a lost response is a dropped connection, and
only the server's ``send`` (uvicorn's request cycle) knows the socket. The request is executed
with its answer swallowed, then the connection is aborted with no byte of the answer sent, as
when Stripe's reply is lost on the way: the SDK sees a connection error and retries.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send

from ..api_faults import ApiFaultPlan
from ..errors import StripeError
from ..ids import new_id
from ..request_log import RequestLog
from .plumbing import error_response

LOCK_TIMEOUT_MESSAGE = (
    "This object cannot be accessed right now because another API request or Stripe process is "
    "currently accessing it. If you see this error intermittently, retry the request."
)
RATE_LIMIT_MESSAGE = (
    "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits."
)


class ResponseLost(ConnectionError):
    """Raised to the caller when the server gives no socket to drop (an in-process test client)."""


def injected_error(kind: str) -> StripeError:
    if kind == "error":
        return StripeError(500, "api_error", "An unknown error occurred while processing your request.", stored=False)
    if kind == "rate_limit":
        return StripeError(429, "invalid_request_error", RATE_LIMIT_MESSAGE, code="rate_limit", stored=False)
    return StripeError(
        429,
        "invalid_request_error",
        LOCK_TIMEOUT_MESSAGE,
        code="lock_timeout",
        stored=False,
        headers={"Stripe-Should-Retry": "true"},
    )


def _transport(send: Any) -> Any:
    """uvicorn's ``send`` is a bound method of its request cycle, which holds the transport."""
    return getattr(getattr(send, "__self__", None), "transport", None)


class Gate:
    def __init__(self, app: Any, state: Any) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        plan: ApiFaultPlan = self.state.api_faults
        log: RequestLog = self.state.request_log
        decision = plan.decide(method, path)
        key = Headers(scope=scope).get("idempotency-key") if method == "POST" else None
        if decision.delay:
            await asyncio.sleep(decision.delay)
        if decision.kind in ("error", "rate_limit", "lock_timeout"):
            request_id = new_id("req", 14)
            version = Headers(scope=scope).get("stripe-version") or self.state.sandbox.config.api_version
            response = error_response(self.state.sandbox, injected_error(decision.kind), request_id, version)
            log.record(
                method, path, response.status_code, request_id=request_id, idempotency_key=key, fault=decision.kind
            )
            await response(scope, receive, send)
            return
        fault = decision.kind or ("slow" if decision.delay else None)

        async def observe(message: dict[str, Any]) -> None:
            # Logged before the answer leaves: a caller that reads the log once it has its answer finds it there.
            if message["type"] == "http.response.start":
                headers = Headers(raw=message.get("headers", []))
                log.record(
                    method,
                    path,
                    message["status"],
                    request_id=headers.get("request-id"),
                    idempotency_key=key,
                    replayed=headers.get("idempotent-replayed") == "true",
                    fault=fault,
                )
            if decision.kind != "lost":
                await send(message)

        await self.app(scope, receive, observe)
        if decision.kind == "lost":
            transport = _transport(send)
            if transport is None:
                raise ResponseLost(f"the sandbox dropped the response to {method} {path}")
            transport.abort()
            await asyncio.sleep(0)  # let the server see the connection lost before it answers anything
