"""Fakes of our own ports, for fast service tests. The payment path is also tested end to end
against the real sandbox over HTTP (tests/e2e); these only make the service rules quick to pin."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from comptoir.services.payment_gateway import CheckoutRequest, CheckoutSession, Refund, WebhookEvent

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

    def payment_intent_status(self, payment_intent_id: str) -> str:
        return self.intent_status.get(payment_intent_id, "succeeded")

    def verify_webhook(self, payload: bytes, signature_header: str | None) -> WebhookEvent:
        raise NotImplementedError("service tests build WebhookEvent values directly")

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
        "metadata": {"order_id": session.order_id},
        "client_reference_id": session.client_reference_id,
        "payment_intent": session.payment_intent_id,
        "url": session.url,
        "expires_at": session.expires_at,
    }
