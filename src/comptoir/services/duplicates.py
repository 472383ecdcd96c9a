"""Giving back what an order is not owed: a second payment, a payment on a cancelled order, or a
hold put on a card for a cancelled order.

`fulfilment.apply_payment_received` records every payment that really happened. It flags a
second one for an order `duplicate_payment`, and one that lands on a cancelled order (it won
the race with the cancel, or its webhook came late) `paid_after_cancellation` (in
`order_reviews`, keyed by its PaymentIntent). It cannot refund there: it runs inside the
webhook's (or `/pay`'s) transaction, and no database lock may be held across a Stripe call. So
the refund happens here, afterwards — called right after the commit by whoever recorded the
payment and can (`/pay`, the success page, closing an order's payment paths), and by the worker
on every tick for payments that webhooks brought in:

1. read the open flags (short transaction);
2. ask Stripe for a refund of that payment with a deterministic key —
   `payment:{pi}:duplicate-refund` or `payment:{pi}:cancelled-order-refund` — so a crash, a
   retry or two workers racing all send the same key, and the customer is refunded once;
3. record the refund in the ledger through `refunds.sync_refunds` (keyed by the refund id, so
   the `charge.refunded` webhook recording it too changes nothing) and close the flag; a
   cancelled order's customer is told (outbox, once per payment), and its payment status
   becomes `refunded`.

A card *authorised* for an order cancelled meanwhile (weighed goods, `capture_manually`: the hosted
page or `/pay` only put a hold on it) is flagged `authorised_after_cancellation` by
`fulfilment.apply_authorisation`, and released in the same loop: its PaymentIntent (a Checkout
attempt's is read from its session) is canceled under the attempt's own `{attempt key}:cancel` —
the key closing the order's payment paths uses — and the cancellation applied as the
`payment_intent.canceled` webhook applies it (attempt canceled, payment status `unpaid`), the flag
closed and the customer told the hold is released. An intent Stripe will not cancel (it was
captured) is left to a person (`authorisation_not_released`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from comptoir.adapters.db.models import Order
from comptoir.adapters.db.payment_models import PaymentAttempt
from comptoir.domain.actors import Actor
from comptoir.domain.errors import Conflict
from comptoir.domain.ledger import EntryKind
from comptoir.domain.payments import Keys
from comptoir.services import fulfilment, notifications, payments, refunds
from comptoir.services.fulfilment import AUTHORISED_AFTER_CANCELLATION, DUPLICATE_PAYMENT, PAID_AFTER_CANCELLATION
from comptoir.services.payment_gateway import (
    PaymentGateway,
    PaymentIntent,
    PaymentIntentUnexpectedState,
    holding_intent_id,
)
from comptoir.services.payment_ports import PaymentUnitOfWork

log = logging.getLogger(__name__)

ACTOR = Actor.system("duplicates")


@dataclass(frozen=True, slots=True)
class _Why:
    """How one kind of unowed payment is refunded: its key, Stripe's reason, and what we say."""

    key: Callable[[str], str]  # the refund's idempotency key, from its PaymentIntent id
    stripe_reason: str
    explanation: str
    tell_customer: bool


_WHY = {
    DUPLICATE_PAYMENT: _Why(
        Keys.duplicate_refund, "duplicate", "this order was paid twice; this payment is the extra one", False
    ),
    PAID_AFTER_CANCELLATION: _Why(
        Keys.cancelled_order_refund,
        "requested_by_customer",
        "this order was cancelled before this payment landed",
        True,
    ),
}


@dataclass(frozen=True, slots=True)
class DuplicateRefund:
    """One payment given back: refunded (`refund_id`), or a released authorisation (no refund id)."""

    order_id: str
    payment_intent_id: str
    refund_id: str | None
    code: str = DUPLICATE_PAYMENT


def refund_key(payment_intent_id: str, code: str = DUPLICATE_PAYMENT) -> str:
    return _WHY[code].key(payment_intent_id)


def refund_duplicates(
    uow: PaymentUnitOfWork, gateway: PaymentGateway, *, now: datetime, order_id: str | None = None, limit: int = 50
) -> list[DuplicateRefund]:
    """Refund every flagged payment the order is not owed, and release every flagged hold on a card
    for a cancelled order (of one order, or all), recording each once."""
    with uow:
        pending = []
        for code in _WHY:
            for review in uow.payments.open_reviews_with_code(code, order_id=order_id, limit=limit):
                entry = uow.payments.entry(EntryKind.PAYMENT.value, review.reference)
                if entry is not None:
                    pending.append((code, review.order_id, review.reference, entry.amount))
        holds = []
        held = uow.payments.open_reviews_with_code(AUTHORISED_AFTER_CANCELLATION, order_id=order_id, limit=limit)
        for review in held:
            attempt = _held_by(uow, review.order_id, review.reference)
            if attempt is not None and attempt.provider_id is not None:
                holds.append(
                    (review.order_id, review.reference, attempt.kind, attempt.provider_id, attempt.idempotency_key)
                )
    done = [_refund(uow, gateway, code, order, intent, amount, now) for code, order, intent, amount in pending]
    released = [_release(uow, gateway, order, ref, kind, pid, key, now) for order, ref, kind, pid, key in holds]
    return done + released


def _refund(
    uow: PaymentUnitOfWork, gateway: PaymentGateway, code: str, order_id: str, intent: str, amount: int, now: datetime
) -> DuplicateRefund:
    why = _WHY[code]
    try:
        refund = gateway.create_refund(
            intent,
            amount,
            why.stripe_reason,
            {"order_id": order_id, "why": why.explanation},
            idempotency_key=refund_key(intent, code),
        )
        provider_refunds = [refund]
    except Conflict:
        # Refused for good (e.g. someone already refunded it in the Dashboard): take Stripe's list as it is.
        provider_refunds = gateway.list_refunds(intent)
    with uow:
        refunds.sync_refunds(uow, intent, provider_refunds, actor=ACTOR, now=now)
        for review in uow.payments.open_reviews_with_code(code, order_id=order_id):
            if review.reference == intent:
                review.resolved_at = now
        order = uow.orders.get_for_update(order_id)
        if why.tell_customer and order is not None and any(r.counts for r in provider_refunds):
            notifications.queue_refund_issued(uow, order, amount=amount, reference=f"payment:{intent}", at=now)
        uow.commit()
    log.info("refunded payment %s of order %s (%s)", intent, order_id, code)
    return DuplicateRefund(order_id, intent, provider_refunds[0].id if provider_refunds else None, code)


def _held_by(uow: PaymentUnitOfWork, order_id: str, reference: str) -> PaymentAttempt | None:
    """The attempt a hold was flagged for: named by its session or intent id (or, never created, its key)."""
    found = (a for a in uow.payments.attempts(order_id) if reference in {a.provider_id, a.idempotency_key})
    return next(found, None)


def _release(
    uow: PaymentUnitOfWork,
    gateway: PaymentGateway,
    order_id: str,
    reference: str,
    kind: str,
    provider_id: str,
    key: str,
    now: datetime,
) -> DuplicateRefund:
    """Cancel the PaymentIntent holding money on the card of a cancelled order, and record it."""
    intent = release_hold(gateway, kind, provider_id, idempotency_key=Keys.cancel(key))
    with uow:
        order = uow.orders.get_for_update(order_id)
        assert order is not None
        if intent.status == "canceled":
            fulfilment.apply_intent_canceled(uow, intent, actor=ACTOR, now=now)
            notifications.queue_authorisation_released(uow, order, at=now)
        else:
            flag_hold_not_released(uow, order, intent, at=now)
        for review in uow.payments.open_reviews_with_code(AUTHORISED_AFTER_CANCELLATION, order_id=order_id):
            if review.reference == reference:
                review.resolved_at = now
        uow.commit()
    log.info("released the card authorisation %s of cancelled order %s (%s)", intent.id, order_id, intent.status)
    return DuplicateRefund(order_id, intent.id, None, AUTHORISED_AFTER_CANCELLATION)


def release_hold(gateway: PaymentGateway, kind: str, provider_id: str, *, idempotency_key: str) -> PaymentIntent:
    """Cancel the card authorisation of an attempt (its PaymentIntent, or its Checkout Session's) and
    return the intent as it is then: `canceled`, or what it became meanwhile (captured, say)."""
    intent_id = holding_intent_id(gateway, kind, provider_id)
    try:
        return gateway.cancel_payment_intent(intent_id, idempotency_key=idempotency_key)
    except PaymentIntentUnexpectedState:  # canceled already (the Dashboard, a retry), or captured
        return gateway.retrieve_payment_intent(intent_id)


def flag_hold_not_released(uow: PaymentUnitOfWork, order: Order, intent: PaymentIntent, *, at: datetime) -> None:
    """A hold that should have been released and was not: a person looks (inside the caller's transaction)."""
    payments.flag_for_review(
        uow,
        order,
        code="authorisation_not_released",
        detail=f"the PaymentIntent {intent.id} of cancelled order {order.number} is {intent.status}, not canceled: "
        "check it, and refund what was taken",
        reference=intent.id,
        at=at,
    )
