"""Fakes of our own ports, for fast service tests. The payment path is also tested end to end
against the real sandbox over HTTP (tests/e2e); these only make the service rules quick to pin."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from comptoir.domain.errors import PaymentRequired
from comptoir.services.payments.provider import (
    CheckoutRequest,
    CheckoutSession,
    PaymentIntent,
    PaymentIntentRequest,
    PaymentIntentUnexpectedState,
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
        self.calls: list[tuple[str, str]] = []  # (method, idempotency key or id)
        self.refund_keys: dict[str, Refund] = {}

    def create_checkout_session(self, request: CheckoutRequest, *, idempotency_key: str) -> CheckoutSession:
        with self._lock:
            self.create_calls += 1
            if idempotency_key in self.by_key:
                assert self.requests[idempotency_key] == request, "same key, different parameters"
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
                capture_manually=request.capture_manually,
            )
            self.sessions[session_id] = session
            self.requests[idempotency_key] = request
            self.by_key[idempotency_key] = session_id
            return session

    def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        return self.sessions[session_id]

    def expire_checkout_session(self, session_id: str, *, idempotency_key: str) -> CheckoutSession:
        session = self.sessions[session_id]
        if session.status == "open":
            session = self.sessions[session_id] = replace(session, status="expired")
        return session

    def list_checkout_sessions(self, *, created_after: int) -> Iterator[CheckoutSession]:
        return iter(list(self.sessions.values()))

    def list_refunds(self, payment_intent_id: str) -> list[Refund]:
        return list(self.refunds.get(payment_intent_id, []))

    def recent_refunds(self, *, created_after: int) -> list[Refund]:
        every = [refund for refunds in self.refunds.values() for refund in refunds]
        return sorted((r for r in every if r.created > created_after), key=lambda r: r.created, reverse=True)

    def payment_intent_status(self, payment_intent_id: str) -> str:
        return self.intent_status.get(payment_intent_id, "succeeded")

    def verify_webhook(self, payload: bytes, signature_header: str | None) -> WebhookEvent:
        raise NotImplementedError("service tests build WebhookEvent values directly")

    # --- PaymentIntents (cards confirmed on the server) -----------------------------------------

    def create_payment_intent(self, request: PaymentIntentRequest, *, idempotency_key: str) -> PaymentIntent:
        with self._lock:
            self.calls.append(("create_payment_intent", idempotency_key))
            if idempotency_key in self.replies:
                assert self.intent_requests[idempotency_key] == request, "same key, different parameters"
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
                return self._replay(idempotency_key)
            intent = self.intents[payment_intent_id]
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

    def _replay(self, key: str) -> PaymentIntent:
        reply = self.replies[key]
        if isinstance(reply, PaymentRequired):
            raise reply
        return reply

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntent:
        return self.intents[payment_intent_id]

    def capture_payment_intent(
        self, payment_intent_id: str, *, amount_to_capture: int, idempotency_key: str
    ) -> PaymentIntent:
        with self._lock:
            self.calls.append(("capture_payment_intent", idempotency_key))
            if idempotency_key in self.replies:
                return self._replay(idempotency_key)
            intent = self.intents[payment_intent_id]
            if intent.status != "requires_capture":
                raise PaymentIntentUnexpectedState(f"cannot capture a {intent.status} intent")
            assert amount_to_capture <= intent.amount_capturable, "Stripe refuses amount_too_large"
            intent = self.intents[intent.id] = replace(
                intent, status="succeeded", amount_received=amount_to_capture, amount_capturable=0
            )
            self.replies[idempotency_key] = intent
            return intent

    def cancel_payment_intent(self, payment_intent_id: str, *, idempotency_key: str) -> PaymentIntent:
        with self._lock:
            self.calls.append(("cancel_payment_intent", idempotency_key))
            intent = self.intents[payment_intent_id]
            if intent.status == "succeeded":
                raise PaymentIntentUnexpectedState("cannot cancel a succeeded intent")
            intent = self.intents[intent.id] = replace(intent, status="canceled", amount_capturable=0)
            return intent

    def create_refund(
        self, payment_intent_id: str, amount: int, reason: str | None, metadata: Any, *, idempotency_key: str
    ) -> Refund:
        with self._lock:
            self.calls.append(("create_refund", idempotency_key))
            if idempotency_key in self.refund_keys:
                return self.refund_keys[idempotency_key]
            refund = Refund(f"re_test_{next(_ids)}", amount, "EUR", "succeeded", payment_intent_id, None, reason)
            self.refunds.setdefault(payment_intent_id, []).append(refund)
            self.refund_keys[idempotency_key] = refund
            return refund

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
