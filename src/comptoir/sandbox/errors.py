"""Stripe's error shape and the HTTP statuses the SDK maps to its exception classes.

402 ``card_error`` → ``stripe.CardError``; 400/404 ``invalid_request_error`` →
``InvalidRequestError``; 400 ``idempotency_error`` → ``IdempotencyError``; 401 →
``AuthenticationError``.

``stored`` says whether the idempotency layer may save the result: Stripe does not save
results for requests whose parameters fail validation (they are safe to retry as is).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from comptoir.sandbox.cards import Decline

DOC_BASE = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    def __init__(
        self,
        http_status: int,
        type: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        advice_code: str | None = None,
        charge: str | None = None,
        payment_intent: dict | None = None,
        payment_method: dict | None = None,
        stored: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.type = type
        self.message = message
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.advice_code = advice_code
        self.charge = charge
        self.payment_intent = payment_intent
        self.payment_method = payment_method
        self.stored = stored
        self.headers = headers or {}

    def error_object(self) -> dict[str, Any]:
        """The inner object, as also stored in ``last_payment_error``: like Stripe's, it holds
        only the keys that have a value (no ``"param": null``)."""
        body: dict[str, Any] = {
            "advice_code": self.advice_code,
            "charge": self.charge,
            "code": self.code,
            "decline_code": self.decline_code,
            "doc_url": DOC_BASE + self.code.replace("_", "-") if self.code else None,
            "message": self.message,
            "param": self.param,
            "payment_method": self.payment_method,
            "type": self.type,
        }
        return {key: value for key, value in body.items() if value is not None}

    def to_dict(self, request_log_url: str | None = None) -> dict[str, Any]:
        """Stripe's response body; ``request_log_url`` is where the request's log can be read."""
        body = self.error_object()
        if self.payment_intent is not None:
            body["payment_intent"] = self.payment_intent
        if request_log_url is not None:
            body["request_log_url"] = request_log_url
        return {"error": dict(sorted(body.items()))}


def invalid_request(
    message: str, param: str | None = None, code: str | None = None, *, stored: bool = True
) -> StripeError:
    return StripeError(400, "invalid_request_error", message, code=code, param=param, stored=stored)


def invalid_param(message: str, param: str, code: str | None = "parameter_invalid_empty") -> StripeError:
    """A parameter failed validation: Stripe does not save the idempotent result."""
    return StripeError(400, "invalid_request_error", message, code=code, param=param, stored=False)


def missing_param(param: str) -> StripeError:
    return StripeError(
        400,
        "invalid_request_error",
        f"Missing required param: {param}.",
        code="parameter_missing",
        param=param,
        stored=False,
    )


def resource_missing(object_name: str, object_id: str, param: str = "id", status: int = 404) -> StripeError:
    return StripeError(
        status, "invalid_request_error", f"No such {object_name}: '{object_id}'", code="resource_missing", param=param
    )


def card_declined(decline: Decline, **extra: Any) -> StripeError:
    """A 402 `card_error` for a test card's decline (`extra`: the charge, the payment method)."""
    return StripeError(
        402,
        "card_error",
        decline.message,
        code=decline.code,
        decline_code=decline.decline_code,
        advice_code=decline.advice_code,
        param=decline.param,
        **extra,
    )


def unexpected_state(
    message: str, code: str = "payment_intent_unexpected_state", payment_intent: dict | None = None
) -> StripeError:
    return StripeError(400, "invalid_request_error", message, code=code, payment_intent=payment_intent)


def authentication_error(message: str) -> StripeError:
    return StripeError(401, "invalid_request_error", message, stored=False)


def idempotency_error(message: str, status: int = 400) -> StripeError:
    return StripeError(status, "idempotency_error", message, stored=False)


def api_error() -> StripeError:
    return StripeError(500, "api_error", "An unknown error occurred in the sandbox.")
