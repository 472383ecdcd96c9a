"""The only module that imports `stripe`: our PaymentGateway over the official SDK.

One injected `StripeClient` (never the global `stripe.api_key`), a pinned API version,
explicit timeout and network retries, our own idempotency key on every write, and SDK
exceptions translated into ours at this edge (`raise ... from exc`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

import stripe
from stripe.params import (
    PaymentIntentConfirmParams,
    PaymentIntentCreateParams,
    RefundCreateParams,
)
from stripe.params.checkout import SessionCreateParams

from comptoir.domain.errors import PaymentRequired, UpstreamUnavailable
from comptoir.domain.payment_messages import customer_message
from comptoir.services.payments.provider import (
    CheckoutRequest,
    CheckoutSession,
    IdempotencyKeyReused,
    PaymentIntent,
    PaymentIntentRequest,
    PaymentIntentUnexpectedState,
    ProviderObjectMissing,
    Refund,
    WebhookEvent,
    WebhookSignatureInvalid,
)

API_VERSION = "2026-10-28.endive"
TIMEOUT_SECONDS = 20.0
NETWORK_RETRIES = 2
SIGNATURE_TOLERANCE_SECONDS = 300

log = logging.getLogger(__name__)


class _RateLimitRetryingClient(stripe.RequestsClient):
    """The SDK retries connection errors, 409s, 5xx and answers marked ``Stripe-Should-Retry: true``
    (a ``lock_timeout``), but not a plain ``429 rate_limit``, which Stripe asks clients to retry with
    backoff: without this, a burst turned into a 503 for the buyer. Retried here like the others,
    with the SDK's backoff and the same idempotency key, unless Stripe says ``Stripe-Should-Retry: false``."""

    def _should_retry(
        self,
        response: tuple[Any, int, Mapping[str, str] | None] | None,
        api_connection_error: stripe.APIConnectionError | None,
        num_retries: int,
        max_network_retries: int | None,
    ) -> bool:
        if response is not None and response[1] == 429 and num_retries < (max_network_retries or 0):
            headers = response[2] or {}
            return headers.get("stripe-should-retry") != "false"
        return super()._should_retry(response, api_connection_error, num_retries, max_network_retries)


class StripeGateway:
    def __init__(
        self,
        secret_key: str,
        webhook_secrets: Sequence[str],
        *,
        api_base: str | None = None,
        timeout: float = TIMEOUT_SECONDS,
        max_network_retries: int = NETWORK_RETRIES,
        payment_method_types: Sequence[str] = (),
    ) -> None:
        base = {"api": api_base} if api_base else None
        self._client = stripe.StripeClient(
            secret_key,
            stripe_version=API_VERSION,
            base_addresses=base,  # type: ignore[arg-type]
            max_network_retries=max_network_retries,
            # The SDK's default client (requests, one session per thread). Its HTTPXClient hands the
            # form body to httpx as `data=<bytes>`, deprecated by httpx 0.28: every write warns, and
            # fails outright where warnings are errors.
            http_client=_RateLimitRetryingClient(timeout=timeout),
        )
        self._webhook_secrets = tuple(webhook_secrets)
        self._payment_method_types = tuple(payment_method_types)

    def create_checkout_session(self, request: CheckoutRequest, *, idempotency_key: str) -> CheckoutSession:
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": line.quantity,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": line.unit_amount,
                        "product_data": {"name": line.name, "description": line.description}
                        if line.description
                        else {"name": line.name},
                    },
                }
                for line in request.lines
            ],
            "metadata": {"order_id": request.order_id, **request.metadata},
            "client_reference_id": request.order_id,
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "expires_at": request.expires_at,
            "payment_intent_data": {"metadata": {"order_id": request.order_id}},
        }
        # A hold to capture later is a card thing (SEPA debits cannot be captured manually).
        methods = ["card"] if request.capture_manually else _methods_for(self._payment_method_types, request.currency)
        if methods:
            # The SDK's typed params no longer list payment_method_types; comptoir sends it as it always has.
            params["payment_method_types"] = methods  # type: ignore[typeddict-unknown-key]
        if request.customer_email:
            params["customer_email"] = request.customer_email
        if request.capture_manually:
            params["payment_intent_data"]["capture_method"] = "manual"
        if request.display_name:
            params["branding_settings"] = {"display_name": request.display_name}
        with _translated():
            session = self._client.v1.checkout.sessions.create(params, {"idempotency_key": idempotency_key})
        return CheckoutSession.from_dict(session.to_dict())

    def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        with _translated():
            session = self._client.v1.checkout.sessions.retrieve(session_id, {"expand": ["line_items"]})
        return CheckoutSession.from_dict(session.to_dict())

    def expire_checkout_session(self, session_id: str, *, idempotency_key: str) -> CheckoutSession:
        with _translated():
            session = self._client.v1.checkout.sessions.expire(session_id, options={"idempotency_key": idempotency_key})
        return CheckoutSession.from_dict(session.to_dict())

    def list_checkout_sessions(self, *, created_after: int) -> Iterator[CheckoutSession]:
        with _translated():
            page = self._client.v1.checkout.sessions.list({"created": {"gt": created_after}, "limit": 100})
            for session in page.auto_paging_iter():
                yield CheckoutSession.from_dict(session.to_dict())

    def list_refunds(self, payment_intent_id: str) -> list[Refund]:
        with _translated():
            page = self._client.v1.refunds.list({"payment_intent": payment_intent_id, "limit": 100})
            return [Refund.from_dict(refund.to_dict()) for refund in page.auto_paging_iter()]

    def recent_refunds(self, *, created_after: int) -> list[Refund]:
        """Pages Stripe's refund list (newest first) down to the cutoff: a few calls, whatever the
        number of orders, so the reconciler can afford it every run."""
        recent: list[Refund] = []
        with _translated():
            for refund in self._client.v1.refunds.list({"limit": 100}).auto_paging_iter():
                if int(refund.created) <= created_after:
                    break
                recent.append(Refund.from_dict(refund.to_dict()))
        return recent

    def create_refund(
        self,
        payment_intent_id: str,
        amount: int | None,
        reason: str | None,
        metadata: Mapping[str, str],
        *,
        idempotency_key: str,
    ) -> Refund:
        params: RefundCreateParams = {"payment_intent": payment_intent_id, "metadata": dict(metadata)}
        if amount is not None:
            params["amount"] = amount
        if reason:
            params["reason"] = reason
        with _translated():
            refund = self._client.v1.refunds.create(params, {"idempotency_key": idempotency_key})
        return Refund.from_dict(refund.to_dict())

    def payment_intent_status(self, payment_intent_id: str) -> str:
        with _translated():
            return str(self._client.v1.payment_intents.retrieve(payment_intent_id).status)

    def create_payment_intent(self, request: PaymentIntentRequest, *, idempotency_key: str) -> PaymentIntent:
        params: PaymentIntentCreateParams = {
            "amount": request.amount,
            "currency": request.currency.lower(),
            "payment_method_types": ["card"],  # type: ignore[typeddict-unknown-key]  # as in create_checkout_session
            "metadata": {"order_id": request.order_id, **request.metadata},
        }
        if request.capture_manually:
            params["capture_method"] = "manual"
        with _translated():
            intent = self._client.v1.payment_intents.create(params, {"idempotency_key": idempotency_key})
        return PaymentIntent.from_dict(intent.to_dict())

    def confirm_payment_intent(
        self, payment_intent_id: str, *, payment_method: str | None, idempotency_key: str
    ) -> PaymentIntent:
        params: PaymentIntentConfirmParams = {"payment_method": payment_method} if payment_method else {}
        with _translated():
            intent = self._client.v1.payment_intents.confirm(
                payment_intent_id, params, {"idempotency_key": idempotency_key}
            )
        return PaymentIntent.from_dict(intent.to_dict())

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntent:
        with _translated():
            intent = self._client.v1.payment_intents.retrieve(payment_intent_id)
        return PaymentIntent.from_dict(intent.to_dict())

    def capture_payment_intent(
        self, payment_intent_id: str, *, amount_to_capture: int, idempotency_key: str
    ) -> PaymentIntent:
        with _translated():
            intent = self._client.v1.payment_intents.capture(
                payment_intent_id, {"amount_to_capture": amount_to_capture}, {"idempotency_key": idempotency_key}
            )
        return PaymentIntent.from_dict(intent.to_dict())

    def cancel_payment_intent(self, payment_intent_id: str, *, idempotency_key: str) -> PaymentIntent:
        with _translated():
            intent = self._client.v1.payment_intents.cancel(
                payment_intent_id, options={"idempotency_key": idempotency_key}
            )
        return PaymentIntent.from_dict(intent.to_dict())

    def verify_webhook(self, payload: bytes, signature_header: str | None) -> WebhookEvent:
        """Accept the delivery if any configured secret verifies it (several during a rotation)."""
        if not signature_header:
            raise WebhookSignatureInvalid(
                "No Stripe-Signature header: this request did not come from Stripe (or a proxy dropped the header)",
                code="webhook_signature_missing",
            )
        if not self._webhook_secrets:
            raise WebhookSignatureInvalid(
                "No webhook secret is configured: set STRIPE_WEBHOOK_SECRET to the endpoint's whsec_ secret",
                code="webhook_secret_unset",
            )
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            # The SDK decodes the body before it verifies and would raise UnicodeDecodeError (a 500).
            raise WebhookSignatureInvalid(
                "The body is not UTF-8 text: Stripe sends its events as UTF-8 JSON", code="webhook_payload_invalid"
            ) from exc
        last_error = ""
        for secret in self._webhook_secrets:
            try:
                stripe.WebhookSignature.verify_header(payload, signature_header, secret, SIGNATURE_TOLERANCE_SECONDS)
                break
            except stripe.SignatureVerificationError as exc:
                last_error = str(exc)
        else:
            raise WebhookSignatureInvalid(_diagnose(last_error), code="webhook_signature_invalid")
        try:
            raw = json.loads(payload)
            event = WebhookEvent(
                id=raw["id"], type=raw["type"], created=int(raw["created"]), object=raw["data"]["object"], raw=raw
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookSignatureInvalid(
                "The signed body is not a Stripe event", code="webhook_payload_invalid"
            ) from exc
        if not (isinstance(event.id, str) and event.id and isinstance(event.type, str)):
            raise WebhookSignatureInvalid(
                "The signed body is not a Stripe event: its id and type must be text", code="webhook_payload_invalid"
            )
        return event


def _methods_for(configured: Sequence[str], currency: str) -> list[str]:
    """The configured methods that can take this currency (a SEPA debit is in euros only; Stripe
    refuses the whole session otherwise). Empty: the parameter is left out and Stripe offers what
    the Dashboard enables."""
    return [method for method in configured if method != "sepa_debit" or currency.upper() == "EUR"]


class StripeNotConfigured:
    """The gateway when no Stripe key is set and no sandbox was wired: every call says so clearly."""

    def __getattr__(self, name: str) -> Any:
        def refuse(*_args: Any, **_kwargs: Any) -> Any:
            raise UpstreamUnavailable(
                "Online payment is not configured: set STRIPE_SECRET_KEY (sk_test_… or sk_live_…), or start `comptoir "
                "serve --dev` (or `comptoir serve --sandbox`) on this data folder to run the embedded test sandbox",
                code="payments_not_configured",
            )

        return refuse


def _diagnose(sdk_message: str) -> str:
    """Name the likely cause, as the seed's troubleshooting section asks."""
    if "tolerance" in sdk_message.lower():
        return (
            "Webhook signature verification failed: the timestamp is older than 5 minutes "
            "(a replayed delivery, or this server's clock is wrong)"
        )
    if "unable to extract" in sdk_message.lower():
        return "Webhook signature verification failed: the Stripe-Signature header is malformed"
    return (
        "Webhook signature verification failed: no signature matches. Check that STRIPE_WEBHOOK_SECRET is this "
        "endpoint's whsec_ secret (stripe listen prints its own) and that the raw body reaches the handler unparsed"
    )


# The provider refused because of the object's state, not because it is down: callers re-read it.
_STATE_ERRORS = {"payment_intent_unexpected_state", "payment_intent_authentication_failure"}


class _translated:
    """Turn SDK exceptions into ours at the edge, keeping the SDK error as the cause."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> Literal[False]:
        if exc is None or not isinstance(exc, stripe.StripeError):
            return False
        if isinstance(exc, stripe.CardError):
            err = exc.error
            message = exc.user_message or str(exc)
            intent = getattr(err, "payment_intent", None) if err is not None else None
            raise PaymentRequired(
                message,
                code=exc.code or "card_declined",
                decline_code=getattr(err, "decline_code", None),
                message=customer_message(exc.code, exc.user_message),
                payment_intent_id=getattr(intent, "id", None),
            ) from exc
        if isinstance(exc, stripe.IdempotencyError) and exc.http_status == 400:
            # (A 409 is a request still running under the key: the SDK retries it, then it is "unavailable".)
            log.error("BUG: an idempotency key was reused with different parameters (docs/payments.md rule 3): %s", exc)
            raise IdempotencyKeyReused(
                "Stripe refused this payment request: its idempotency key was first used with other parameters. "
                "This is a bug in comptoir and has been logged; the request cannot succeed by retrying it."
            ) from exc
        if isinstance(exc, stripe.InvalidRequestError) and exc.code in _STATE_ERRORS:
            raise PaymentIntentUnexpectedState(exc.user_message or str(exc), code=exc.code) from exc
        if isinstance(exc, stripe.InvalidRequestError) and exc.code == "resource_missing":
            raise ProviderObjectMissing(exc.user_message or str(exc)) from exc
        if isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)):
            raise UpstreamUnavailable(f"Stripe is unavailable: {exc.user_message or exc}") from exc
        raise UpstreamUnavailable(
            f"Stripe refused the request: {exc.user_message or exc}", code="provider_refused"
        ) from exc
