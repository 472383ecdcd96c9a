"""``comptoir sandbox trigger``: the API calls that make a running sandbox emit one event type.

Like ``stripe trigger``, each fixture creates the objects that produce the event through the public
API (so the request log and the webhooks show what an integration would see), plus the control API
where Stripe's fixtures rely on time passing or on a buyer: paying a Checkout Session, moving the
clock past a SEPA debit or an asynchronous refund. Covered: the event types comptoir handles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stripe

SEPA_SUCCEEDS = "DE89370400440532013000"
SEPA_FAILS = "DE62370400440532013001"
ASYNC_WAIT = 3600
"""Seconds the clock is moved for a delayed outcome (SEPA debits and asynchronous refunds settle sooner)."""


@dataclass
class TriggerApi:
    """The two doors a fixture uses: the SDK on ``/v1`` and a ``control(method, path, body)`` call."""

    client: stripe.StripeClient
    control: Callable[[str, str, dict[str, Any] | None], Any]

    def advance(self) -> None:
        self.control("POST", "clock/advance", {"seconds": ASYNC_WAIT})


def _paid_intent(api: TriggerApi, payment_method: str = "pm_card_visa") -> Any:
    return api.client.v1.payment_intents.create(
        {
            "amount": 2000,
            "currency": "eur",
            "payment_method_types": ["card"],  # type: ignore[typeddict-unknown-key]  # see _session
            "payment_method": payment_method,
            "confirm": True,
            "metadata": {"triggered": "true"},
        }
    )


def _session(api: TriggerApi, methods: list[str]) -> Any:
    # The SDK's typed params no longer list payment_method_types; the triggers send it as they always have.
    return api.client.v1.checkout.sessions.create(
        {  # type: ignore[arg-type]
            "mode": "payment",
            "payment_method_types": methods,
            "line_items": [
                {"quantity": 1, "price_data": {"currency": "eur", "unit_amount": 2000, "product_data": {"name": "T"}}}
            ],
            "success_url": "http://localhost/success?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": "http://localhost/cancel",
            "metadata": {"triggered": "true"},
        }
    )


def _pay_session(api: TriggerApi, body: dict[str, Any], methods: list[str]) -> Any:
    session = _session(api, methods)
    api.control("POST", f"checkout/sessions/{session.id}/pay", body)
    return session


def payment_intent_succeeded(api: TriggerApi) -> None:
    _paid_intent(api)


def payment_intent_payment_failed(api: TriggerApi) -> None:
    try:
        _paid_intent(api, "pm_card_visa_chargeDeclined")
    except stripe.CardError:
        return


def payment_intent_canceled(api: TriggerApi) -> None:
    intent = api.client.v1.payment_intents.create(
        {"amount": 2000, "currency": "eur", "payment_method_types": ["card"]}  # type: ignore[typeddict-unknown-key]
    )
    api.client.v1.payment_intents.cancel(intent.id)


def refund_created(api: TriggerApi) -> None:
    api.client.v1.refunds.create({"payment_intent": _paid_intent(api).id})


def refund_updated(api: TriggerApi) -> None:
    """A pending refund (test card 7726) that succeeds once the clock has moved."""
    api.client.v1.refunds.create({"payment_intent": _paid_intent(api, "pm_card_pendingRefund").id})
    api.advance()


def refund_failed(api: TriggerApi) -> None:
    """A refund that succeeds, then fails (test card 5126) once the clock has moved."""
    api.client.v1.refunds.create({"payment_intent": _paid_intent(api, "pm_card_refundFail").id})
    api.advance()


def checkout_session_completed(api: TriggerApi) -> None:
    _pay_session(api, {"payment_method": "pm_card_visa"}, ["card"])


def checkout_session_expired(api: TriggerApi) -> None:
    api.client.v1.checkout.sessions.expire(_session(api, ["card"]).id)


def checkout_session_async_payment_succeeded(api: TriggerApi) -> None:
    _pay_session(api, {"iban": SEPA_SUCCEEDS}, ["sepa_debit"])
    api.advance()


def checkout_session_async_payment_failed(api: TriggerApi) -> None:
    _pay_session(api, {"iban": SEPA_FAILS}, ["sepa_debit"])
    api.advance()


FIXTURES: dict[str, Callable[[TriggerApi], None]] = {
    "checkout.session.completed": checkout_session_completed,
    "checkout.session.expired": checkout_session_expired,
    "checkout.session.async_payment_succeeded": checkout_session_async_payment_succeeded,
    "checkout.session.async_payment_failed": checkout_session_async_payment_failed,
    "payment_intent.succeeded": payment_intent_succeeded,
    "payment_intent.payment_failed": payment_intent_payment_failed,
    "payment_intent.canceled": payment_intent_canceled,
    "charge.succeeded": payment_intent_succeeded,
    "charge.failed": payment_intent_payment_failed,
    "charge.refunded": refund_created,
    "refund.created": refund_created,
    "refund.updated": refund_updated,
    "charge.refund.updated": refund_updated,
    "refund.failed": refund_failed,
}
