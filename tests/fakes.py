"""Fakes of our own ports, for fast service tests. The payment path is also tested end to end
against the real sandbox over HTTP (tests/e2e); these only make the service rules quick to pin.

`FakeGateway` answers what the sandbox answers through the real `StripeGateway`, refusals included:
tests/contract/test_gateway_contract.py runs one scenario list against both, so a change to
either that the other does not follow fails there first."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from comptoir.domain.errors import PaymentRequired, UpstreamUnavailable
from comptoir.services.payment_gateway import (
    CheckoutRequest,
    CheckoutSession,
    IdempotencyKeyReused,
    PaymentIntent,
    PaymentIntentRequest,
    PaymentIntentUnexpectedState,
    ProviderObjectMissing,
    Refund,
    WebhookEvent,
)

_ids = itertools.count(1)


class FakeGateway:
    """A PaymentGateway that keeps sessions in memory and honours idempotency keys like Stripe."""

    def __init__(self) -> None:
        self.sessions: dict[str, CheckoutSession] = {}
        self.requests: dict[str, CheckoutRequest] = {}
        self.by_key: dict[str, str] = {}
        self.refunds: dict[str, list[Refund]] = {}
        self.intent_status: dict[str, str] = {}
        self.create_calls = 0
        self._lock = threading.Lock()
        self.intents: dict[str, PaymentIntent] = {}
        self.intent_requests: dict[str, PaymentIntentRequest] = {}
        self.replies: dict[str, PaymentIntent | PaymentRequired] = {}  # idempotency key -> first answer
        self.reply_requests: dict[str, tuple[object, ...]] = {}  # idempotency key -> what was first asked
        self.calls: list[tuple[str, str]] = []  # (method, idempotency key or id)
        self.refund_keys: dict[str, Refund] = {}
        self.refund_requests: dict[str, tuple[str, int | None, str | None]] = {}
        self.refund_status = "succeeded"
        """The status new refunds start in (Stripe: `pending` for card 4000000000007726)."""

    def create_checkout_session(self, request: CheckoutRequest, *, idempotency_key: str) -> CheckoutSession:
        with self._lock:
            self.create_calls += 1
            if idempotency_key in self.by_key:
                _same_parameters(self.requests[idempotency_key], request)
                return self.sessions[self.by_key[idempotency_key]]
            session_id = f"cs_test_{next(_ids)}"
            session = CheckoutSession(
                id=session_id,
                status="open",
                payment_status="unpaid",
                amount_total=sum(line.unit_amount * line.quantity for line in request.lines),
                currency=request.currency.upper(),
                order_id=request.order_id,
                client_reference_id=request.order_id,
                payment_intent_id=None,
                url=f"https://checkout.example/{session_id}",
                expires_at=request.expires_at,
                created=0,
                capture_manually=request.metadata.get("capture") == "manual",
            )
            self.sessions[session_id] = session
            self.requests[idempotency_key] = request
            self.by_key[idempotency_key] = session_id
            return session

    def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        return _found(self.sessions, session_id)

    def expire_checkout_session(self, session_id: str, *, idempotency_key: str) -> CheckoutSession:
        session = _found(self.sessions, session_id)
        if session.status != "open":
            raise _refused(f"Only Checkout Sessions with a status of 'open' can be expired, not '{session.status}'")
        session = self.sessions[session_id] = replace(session, status="expired", url=None)
        return session

    def list_checkout_sessions(self, *, created_after: int) -> Iterator[CheckoutSession]:
        return iter(list(self.sessions.values()))

    def list_refunds(self, payment_intent_id: str) -> list[Refund]:
        return list(self.refunds.get(payment_intent_id, []))

    def recent_refunds(self, *, created_after: int) -> list[Refund]:
        every = [refund for refunds in self.refunds.values() for refund in refunds]
        return sorted((r for r in every if r.created > created_after), key=lambda r: r.created, reverse=True)

    def payment_intent_status(self, payment_intent_id: str) -> str:
        if payment_intent_id in self.intent_status:
            return self.intent_status[payment_intent_id]
        intent = self.intents.get(payment_intent_id)
        return intent.status if intent is not None else "succeeded"

    def verify_webhook(self, payload: bytes, signature_header: str | None) -> WebhookEvent:
        raise NotImplementedError("service tests build WebhookEvent values directly")

    # --- PaymentIntents (cards confirmed on the server) -----------------------------------------

    def create_payment_intent(self, request: PaymentIntentRequest, *, idempotency_key: str) -> PaymentIntent:
        with self._lock:
            self.calls.append(("create_payment_intent", idempotency_key))
            if idempotency_key in self.replies:
                _same_parameters(self.intent_requests[idempotency_key], request)
                reply = self.replies[idempotency_key]
                assert isinstance(reply, PaymentIntent)
                return reply
            intent = _intent(
                f"pi_test_{next(_ids)}",
                "requires_payment_method",
                request.amount,
                request.currency,
                capture_method="manual" if request.capture_manually else "automatic",
                order_id=request.order_id,
            )
            self.intents[intent.id] = intent
            self.intent_requests[idempotency_key] = request
            self.replies[idempotency_key] = intent
            return intent

    def confirm_payment_intent(
        self, payment_intent_id: str, *, payment_method: str | None, idempotency_key: str
    ) -> PaymentIntent:
        with self._lock:
            self.calls.append(("confirm_payment_intent", idempotency_key))
            if idempotency_key in self.replies:
                return self._replay(idempotency_key, ("confirm", payment_intent_id, payment_method))
            self.reply_requests[idempotency_key] = ("confirm", payment_intent_id, payment_method)
            intent = _found(self.intents, payment_intent_id)
            if intent.status not in {"requires_payment_method", "requires_confirmation", "requires_action"}:
                raise PaymentIntentUnexpectedState(f"cannot confirm a {intent.status} intent")
            card = payment_method or intent.payment_method_id or ""
            decline = DECLINES.get(card)
            if decline is not None:
                code, decline_code, message = decline
                intent = self.intents[intent.id] = replace(
                    intent,
                    status="requires_payment_method",
                    error_code=code,
                    decline_code=decline_code,
                    error_message=message,
                    payment_method_id=None,
                )
                self.replies[idempotency_key] = error = PaymentRequired(
                    message, code=code, decline_code=decline_code, message=message, payment_intent_id=intent.id
                )
                raise error
            if card in THREE_DS:
                intent = replace(intent, status="requires_action", next_action_type="use_stripe_sdk")
            else:
                intent = _charged(intent)
            intent = self.intents[intent.id] = replace(
                intent, payment_method_id=card, error_code=None, decline_code=None, error_message=None
            )
            self.replies[idempotency_key] = intent
            return intent

    def _replay(self, key: str, request: tuple[object, ...]) -> PaymentIntent:
        _same_parameters(self.reply_requests.get(key), request)
        reply = self.replies[key]
        if isinstance(reply, PaymentRequired):
            raise reply
        return reply

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntent:
        return _found(self.intents, payment_intent_id)

    def capture_payment_intent(
        self, payment_intent_id: str, *, amount_to_capture: int, idempotency_key: str
    ) -> PaymentIntent:
        with self._lock:
            self.calls.append(("capture_payment_intent", idempotency_key))
            request = ("capture", payment_intent_id, amount_to_capture)
            if idempotency_key in self.replies:
                return self._replay(idempotency_key, request)
            intent = _found(self.intents, payment_intent_id)
            if intent.status != "requires_capture":
                raise PaymentIntentUnexpectedState(f"cannot capture a {intent.status} intent")
            if amount_to_capture > intent.amount_capturable:
                raise _refused(
                    f"The amount to capture ({amount_to_capture}) must be less than or equal to the amount capturable "
                    f"({intent.amount_capturable})."
                )
            intent = self.intents[intent.id] = replace(
                intent, status="succeeded", amount_received=amount_to_capture, amount_capturable=0
            )
            self.replies[idempotency_key], self.reply_requests[idempotency_key] = intent, request
            return intent

    def cancel_payment_intent(self, payment_intent_id: str, *, idempotency_key: str) -> PaymentIntent:
        with self._lock:
            self.calls.append(("cancel_payment_intent", idempotency_key))
            request = ("cancel", payment_intent_id)
            if idempotency_key in self.replies:
                return self._replay(idempotency_key, request)
            intent = _found(self.intents, payment_intent_id)
            if intent.status not in CANCELABLE:
                raise PaymentIntentUnexpectedState(f"cannot cancel a {intent.status} intent")
            intent = self.intents[intent.id] = replace(intent, status="canceled", amount_capturable=0)
            self.replies[idempotency_key], self.reply_requests[idempotency_key] = intent, request
            return intent

    def create_refund(
        self, payment_intent_id: str, amount: int | None, reason: str | None, metadata: Any, *, idempotency_key: str
    ) -> Refund:
        """Stripe's refund rules (stripe-facts §6.1): what is left of the captured amount and no more, an
        authorisation is cancelled rather than refunded, and a key answers its first request only."""
        with self._lock:
            self.calls.append(("create_refund", idempotency_key))
            request = (payment_intent_id, amount, reason)
            if idempotency_key in self.refund_keys:
                _same_parameters(self.refund_requests[idempotency_key], request)
                return self.refund_keys[idempotency_key]
            intent = self.intents.get(payment_intent_id)
            if intent is None:
                raise _refused(f"No such payment_intent: '{payment_intent_id}'")
            if intent.status != "succeeded":
                raise _refused(f"This PaymentIntent ({payment_intent_id}) is {intent.status}: nothing to refund")
            left = intent.amount_received - sum(r.amount for r in self.refunds.get(payment_intent_id, []) if r.counts)
            if left <= 0:
                raise _refused(f"The charge of {payment_intent_id} has already been refunded.")
            amount = left if amount is None else amount
            if amount > left:
                raise _refused(f"Refund amount ({amount}) is greater than unrefunded amount ({left})")
            refund = Refund(
                f"re_test_{next(_ids)}", amount, intent.currency, self.refund_status, payment_intent_id, None, reason
            )
            self.refunds.setdefault(payment_intent_id, []).append(refund)
            self.refund_keys[idempotency_key] = refund
            self.refund_requests[idempotency_key] = request
            return refund

    def settle_refund(self, refund_id: str, status: str) -> Refund:
        """What the provider does later (Stripe: refund.updated / refund.failed)."""
        for refunds in self.refunds.values():
            for index, refund in enumerate(refunds):
                if refund.id == refund_id:
                    refunds[index] = refund = replace(refund, status=status)
                    return refund
        raise KeyError(refund_id)

    # what the buyer does in the browser
    def complete_3ds(self, payment_intent_id: str) -> PaymentIntent:
        intent = self.intents[payment_intent_id]
        assert intent.status == "requires_action"
        self.intents[intent.id] = intent = _charged(replace(intent, next_action_type=None))
        return intent

    def fail_3ds(self, payment_intent_id: str) -> PaymentIntent:
        intent = self.intents[payment_intent_id]
        self.intents[intent.id] = intent = replace(
            intent,
            status="requires_payment_method",
            next_action_type=None,
            payment_method_id=None,
            error_code="payment_intent_authentication_failure",
            error_message="authentication failed",
        )
        return intent

    def intents_for(self, order_id: str) -> list[PaymentIntent]:
        return [intent for intent in self.intents.values() if intent.order_id == order_id]

    # what "Stripe" does when the buyer acts on the hosted page
    def pay(self, session_id: str, *, amount: int | None = None, delayed: bool = False) -> CheckoutSession:
        session = self.sessions[session_id]
        intent = f"pi_test_{next(_ids)}"
        session = replace(
            session,
            status="complete",
            payment_status="unpaid" if delayed else "paid",
            payment_intent_id=intent,
            amount_total=session.amount_total if amount is None else amount,
        )
        self.sessions[session_id] = session
        self.intent_status[intent] = "processing" if delayed else "succeeded"
        self.intents[intent] = _charged(
            _intent(
                intent,
                "requires_confirmation",
                session.amount_total or 0,
                session.currency or "EUR",
                capture_method="manual" if session.capture_manually else "automatic",
                order_id=session.order_id or "",
            )
        )
        return session

    def settle_delayed(self, session_id: str, *, succeeded: bool) -> CheckoutSession:
        session = self.sessions[session_id]
        assert session.payment_intent_id is not None
        self.intent_status[session.payment_intent_id] = "succeeded" if succeeded else "requires_payment_method"
        if succeeded:
            session = self.sessions[session_id] = replace(session, payment_status="paid")
        return session


def _found(objects: dict[str, Any], object_id: str) -> Any:
    if object_id not in objects:
        raise ProviderObjectMissing(f"No such object: '{object_id}'")
    return objects[object_id]


def _refused(message: str) -> UpstreamUnavailable:
    """A refusal for good, as `StripeGateway` translates Stripe's 400s that carry no state code."""
    return UpstreamUnavailable(f"Stripe refused the request: {message}", code="provider_refused")


def _same_parameters(first: object, again: object) -> None:
    """Stripe's idempotency layer: a key replays its first request only; other parameters are our bug."""
    if first != again:
        raise IdempotencyKeyReused(
            "Stripe refused this payment request: its idempotency key was first used with other parameters"
        )


def event(event_type: str, obj: dict[str, Any], *, event_id: str | None = None) -> WebhookEvent:
    raw = {"id": event_id or f"evt_{next(_ids)}", "type": event_type, "created": 0, "data": {"object": obj}}
    return WebhookEvent(id=raw["id"], type=event_type, created=0, object=obj, raw=raw)


def session_dict(session: CheckoutSession) -> dict[str, Any]:
    """The session as it appears inside a webhook event."""
    return {
        "id": session.id,
        "object": "checkout.session",
        "status": session.status,
        "payment_status": session.payment_status,
        "amount_total": session.amount_total,
        "currency": (session.currency or "").lower(),
        "metadata": {"order_id": session.order_id, **({"capture": "manual"} if session.capture_manually else {})},
        "client_reference_id": session.client_reference_id,
        "payment_intent": session.payment_intent_id,
        "url": session.url,
        "expires_at": session.expires_at,
    }


DECLINES = {
    "pm_card_visa_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "pm_card_visa_chargeDeclinedInsufficientFunds": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "pm_card_chargeDeclinedExpiredCard": ("expired_card", "expired_card", "Your card has expired."),
}
THREE_DS = {"pm_card_threeDSecure2Required", "pm_card_authenticationRequired"}
CANCELABLE = {"requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing"}


def _intent(
    intent_id: str, status: str, amount: int, currency: str, *, capture_method: str, order_id: str
) -> PaymentIntent:
    return PaymentIntent(
        id=intent_id,
        status=status,
        amount=amount,
        amount_received=0,
        amount_capturable=0,
        currency=currency.upper(),
        client_secret=f"{intent_id}_secret_x",
        capture_method=capture_method,
        next_action_type=None,
        error_code=None,
        decline_code=None,
        error_message=None,
        order_id=order_id,
        payment_method_id=None,
    )


def _charged(intent: PaymentIntent) -> PaymentIntent:
    if intent.capture_method == "manual":
        return replace(intent, status="requires_capture", amount_capturable=intent.amount)
    return replace(intent, status="succeeded", amount_received=intent.amount)


def intent_dict(intent: PaymentIntent) -> dict[str, Any]:
    """The PaymentIntent as it appears inside a `payment_intent.*` event."""
    return {
        "id": intent.id,
        "object": "payment_intent",
        "status": intent.status,
        "amount": intent.amount,
        "amount_received": intent.amount_received,
        "currency": intent.currency.lower(),
        "capture_method": intent.capture_method,
        "metadata": {"order_id": intent.order_id},
    }
