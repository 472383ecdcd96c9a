"""Exactly-once fulfilment of Checkout Sessions.

`fulfil_checkout` is the one function the webhook, the success page and the reconciler call
(Stripe's "fulfil orders" guide: it "might be called multiple times, possibly concurrently,
for the same Checkout Session"). It works on a *verified* session: the object inside a signed
event, or one re-read from Stripe. It locks the order, checks the session really is for this
order, for this amount and currency, then records the payment in the ledger (keyed by the
PaymentIntent, so once), recomputes the payment status, moves the order forward once, and
queues the receipt and the merchant alert in the same transaction.

The `apply_*` functions do the work inside the caller's open unit of work, so the webhook
route can record the event in the same transaction as its effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from comptoir.domain.actors import Actor
from comptoir.domain.orders import OrderStatus, PaymentStatus
from comptoir.domain.payments import AttemptKind, AttemptState
from comptoir.records.payments import PaymentAttempt
from comptoir.records.shop import Order
from comptoir.services import order_state
from comptoir.services.messages import notifications
from comptoir.services.payments import ledger
from comptoir.services.payments.provider import CheckoutSession, PaymentIntent
from comptoir.services.ports import UnitOfWork

DUPLICATE_PAYMENT = "duplicate_payment"
PAID_AFTER_CANCELLATION = "paid_after_cancellation"
AUTHORISED_AFTER_CANCELLATION = "authorised_after_cancellation"


@dataclass(frozen=True, slots=True)
class FulfilmentResult:
    outcome: str  # paid | duplicate | processing | failed | canceled | expired | unchanged | mismatch | not_ours
    order_id: str | None
    status: str | None = None
    payment_status: str | None = None
    # Money was recorded that the order is not owed (a second payment, or one on a cancelled order),
    # or a card was authorised for a cancelled order: the caller refunds or releases it after its
    # commit (`payments.duplicates`), or the worker does.
    refund_due: bool = False


def fulfil_checkout(uow: UnitOfWork, session: CheckoutSession, *, actor: Actor, now: datetime) -> FulfilmentResult:
    """Apply a verified session in its own transaction (success page, reconciler)."""
    with uow:
        result = apply_checkout_session(uow, session, actor=actor, now=now)
        uow.commit()
        return result


def apply_checkout_session(
    uow: UnitOfWork, session: CheckoutSession, *, actor: Actor, now: datetime
) -> FulfilmentResult:
    """Whatever state the session is in, bring the order in line with it (forward only)."""
    order = _order_for(uow, session)
    if order is None:
        return FulfilmentResult("not_ours", session.order_id)
    attempts = uow.payments.attempts(order.id)
    if not _matches(uow, order, session, now, attempts):
        return _result("mismatch", order)
    attempt = _attempt_for(uow, order, session, attempts)
    if session.status == "expired":
        return apply_session_expired(uow, session, actor=actor, now=now)
    if session.status != "complete":
        return _result("unchanged", order)
    if session.capture_manually:
        return _apply_authorised(uow, order, attempt, session, actor=actor, now=now)
    if session.payment_status == "paid":
        return _apply_paid(uow, order, attempt, session, actor=actor, now=now)
    if attempt is not None:
        ledger.advance_attempt(attempt, AttemptState.PROCESSING, now)
    ledger.sync_payment_status(
        uow, order, actor=actor, at=now, reason=f"checkout {session.id} completed, payment pending"
    )
    return _result("processing", order)


def apply_async_payment_failed(
    uow: UnitOfWork, session: CheckoutSession, *, actor: Actor, now: datetime
) -> FulfilmentResult:
    """A delayed payment (SEPA debit) was refused: the order stays payable until its hold ends."""
    order = _order_for(uow, session)
    if order is None:
        return FulfilmentResult("not_ours", session.order_id)
    attempt = _attempt_for(uow, order, session)
    if attempt is not None and not ledger.advance_attempt(attempt, AttemptState.FAILED, now):
        return _result("unchanged", order)
    status = ledger.sync_payment_status(
        uow, order, actor=actor, at=now, reason=f"checkout {session.id}: delayed payment failed"
    )
    if status is PaymentStatus.FAILED:
        notifications.queue_payment_failed(uow, order, attempt_ref=session.id, at=now)
    return _result("failed", order)


def apply_session_expired(
    uow: UnitOfWork, session: CheckoutSession, *, actor: Actor, now: datetime
) -> FulfilmentResult:
    """The session can no longer be paid. Cancel the order and release its stock if its hold is over
    and nothing was paid; a session expired early (hold still running) only closes that attempt."""
    order = _order_for(uow, session)
    if order is None:
        return FulfilmentResult("not_ours", session.order_id)
    attempt = _attempt_for(uow, order, session)
    if attempt is not None:
        ledger.advance_attempt(attempt, AttemptState.EXPIRED, now)
    hold_over = order.hold_expires_at is None or order.hold_expires_at <= now
    unpaid = PaymentStatus(order.payment_status) in {PaymentStatus.UNPAID, PaymentStatus.FAILED}
    if (
        order.status == OrderStatus.PENDING.value
        and unpaid
        and hold_over
        and not _other_live_attempt(uow, order, session)
    ):
        order_state.cancel(uow, order, actor=actor, at=now, reason=f"checkout {session.id} expired unpaid")
        return _result("expired", order)
    return _result("unchanged", order)


def _apply_paid(
    uow: UnitOfWork,
    order: Order,
    attempt: PaymentAttempt | None,
    session: CheckoutSession,
    *,
    actor: Actor,
    now: datetime,
) -> FulfilmentResult:
    if attempt is not None:
        ledger.advance_attempt(attempt, AttemptState.SUCCEEDED, now)
    return apply_payment_received(
        uow,
        order,
        amount=session.amount_total or 0,
        external_id=session.payment_intent_id or session.id,
        reference=f"checkout {session.id}",
        actor=actor,
        now=now,
    )


def _apply_authorised(
    uow: UnitOfWork,
    order: Order,
    attempt: PaymentAttempt | None,
    session: CheckoutSession,
    *,
    actor: Actor,
    now: datetime,
) -> FulfilmentResult:
    """A weighed-goods session only put a hold on the card (total + margin): the order is confirmed
    and the shop alerted, and the money is recorded when the merchant captures the weighed amount
    (`payments.capture`, then `payment_intent.succeeded` with the amount received)."""
    if attempt is None:
        return _result("unchanged", order)
    return apply_authorisation(uow, order, attempt, reference=f"checkout {session.id}", actor=actor, now=now)


def apply_authorisation(
    uow: UnitOfWork, order: Order, attempt: PaymentAttempt, *, reference: str, actor: Actor, now: datetime
) -> FulfilmentResult:
    """A card was authorised for later capture (weighed goods), by a session or by `/pay`: the order
    is confirmed with payment `processing` and the shop alerted, once. An authorisation for an order
    cancelled meanwhile is flagged `authorised_after_cancellation` and released after the commit
    (`payments.duplicates`)."""
    if not ledger.advance_attempt(attempt, AttemptState.AUTHORIZED, now):
        return _result("unchanged", order)
    ledger.sync_payment_status(uow, order, actor=actor, at=now, reason=f"{reference}: card authorised")
    if order.status == OrderStatus.CANCELLED.value:
        ledger.flag_for_review(
            uow,
            order,
            code=AUTHORISED_AFTER_CANCELLATION,
            detail=f"{reference} authorised a card after the order was cancelled: the hold is released",
            reference=attempt.provider_id or attempt.idempotency_key,
            at=now,
        )
        return _result("processing", order, refund_due=True)
    ledger.confirm_if_pending(uow, order, actor=actor, at=now, reason=f"{order_state.CARD_AUTHORISED} ({reference})")
    notifications.queue_merchant_alert(uow, order, at=now, headline=notifications.CARD_AUTHORISED)
    return _result("processing", order)


def apply_intent_succeeded(uow: UnitOfWork, intent: PaymentIntent, *, actor: Actor, now: datetime) -> FulfilmentResult:
    """`payment_intent.succeeded`: the same money as the session's, keyed by the same PaymentIntent id,
    so whichever of the two events lands first records it and the other changes nothing."""
    order_id = intent.order_id
    order = uow.orders.get_for_update(order_id) if order_id else None
    if order is None:
        return FulfilmentResult("not_ours", order_id)
    amount, currency = intent.amount_received or intent.amount, intent.currency
    if amount != order.total or currency != order.currency:
        ledger.flag_for_review(
            uow,
            order,
            code="intent_mismatch",
            detail=(
                f"PaymentIntent {intent.id} received {amount} {currency}, order total is {order.total} {order.currency}"
            ),
            reference=intent.id,
            at=now,
        )
        return _result("mismatch", order)
    attempt = uow.payments.attempt_by_provider_id(intent.id)
    if attempt is not None:
        ledger.advance_attempt(attempt, AttemptState.SUCCEEDED, now)
    return apply_payment_received(
        uow,
        order,
        amount=amount,
        external_id=intent.id,
        reference=f"payment {intent.id}",
        actor=actor,
        now=now,
    )


def apply_intent_failed(uow: UnitOfWork, intent: PaymentIntent, *, actor: Actor, now: datetime) -> FulfilmentResult:
    """`payment_intent.payment_failed`: only an attempt that *is* this PaymentIntent fails. A decline on
    the hosted Checkout page leaves its session open for another card, so it changes nothing."""
    attempt = uow.payments.attempt_by_provider_id(intent.id)
    if attempt is None:
        return FulfilmentResult("unchanged", intent.order_id)
    order = uow.orders.get_for_update(attempt.order_id)
    assert order is not None, "an attempt always belongs to an order"
    if not ledger.advance_attempt(attempt, AttemptState.FAILED, now):
        return _result("unchanged", order)
    ledger.sync_payment_status(uow, order, actor=actor, at=now, reason=f"payment {intent.id} failed")
    return _result("failed", order)


def apply_intent_canceled(uow: UnitOfWork, intent: PaymentIntent, *, actor: Actor, now: datetime) -> FulfilmentResult:
    """`payment_intent.canceled`: this PaymentIntent will never move money.

    comptoir cancels intents itself (a refused order's card authorisation, a `/pay` attempt left
    waiting when its hold ended) and then finds the work done here. A card *authorisation*
    canceled anywhere else — in the Dashboard, or by Stripe once it went uncaptured for 7 days —
    leaves a confirmed order with nothing to capture: its attempt is closed, the payment axis
    follows (unpaid), the order is flagged `authorisation_canceled` and the shop alerted, so that
    a person refuses the order or settles it with the customer (a confirmed order cannot be paid
    online again).
    """
    intent_id, order_id = intent.id, intent.order_id
    attempt = uow.payments.attempt_by_provider_id(intent_id)
    if attempt is not None:
        order_id = attempt.order_id
    order = uow.orders.get_for_update(order_id) if order_id else None
    if order is None:
        return FulfilmentResult("not_ours", order_id)
    if attempt is None:
        attempt = _authorised_session_attempt(uow, order, intent)
    if attempt is None:
        return _result("unchanged", order)
    was_authorised = attempt.state == AttemptState.AUTHORIZED
    if not ledger.advance_attempt(attempt, AttemptState.CANCELED, now):
        return _result("unchanged", order)
    ledger.sync_payment_status(uow, order, actor=actor, at=now, reason=f"payment {intent_id} canceled")
    if was_authorised and order.status not in {OrderStatus.CANCELLED.value, OrderStatus.COMPLETED.value}:
        ledger.flag_for_review(
            uow,
            order,
            code="authorisation_canceled",
            detail=(
                f"the card authorisation {intent_id} was canceled at Stripe (in the Dashboard, or uncaptured "
                "for 7 days): nothing can be captured; refuse the order, or settle it with the customer"
            ),
            reference=intent_id,
            at=now,
        )
        notifications.queue_merchant_alert(uow, order, at=now, headline=notifications.AUTHORISATION_CANCELED)
    return _result("canceled", order)


def _authorised_session_attempt(uow: UnitOfWork, order: Order, intent: PaymentIntent) -> PaymentAttempt | None:
    """The Checkout attempt whose authorisation this PaymentIntent is: a session's attempt is named by
    the session, not its PaymentIntent, so it is the order's authorised session for that amount."""
    held = [
        a
        for a in uow.payments.attempts(order.id)
        if a.kind == AttemptKind.CHECKOUT_SESSION
        and a.state == AttemptState.AUTHORIZED
        and a.amount in {None, intent.amount}
    ]
    return held[-1] if held else None


def apply_payment_received(
    uow: UnitOfWork,
    order: Order,
    *,
    amount: int,
    external_id: str,
    reference: str,
    actor: Actor,
    now: datetime,
) -> FulfilmentResult:
    """Record verified money once, then move the order forward and queue the messages (once).

    Money for an order that another provider payment already paid (a Checkout Session paid in
    one tab while `/pay` succeeded in another) is recorded too — it was taken — and flagged
    `duplicate_payment`; money for a cancelled order (a payment that won the race with the cancel,
    a late webhook) is recorded and flagged `paid_after_cancellation`. `payments.duplicates`
    refunds both outside this transaction (the caller after commit, or the worker), with a
    deterministic key so each is refunded once.
    """
    received = ledger.receive_payment(
        uow, order, amount=amount, external_id=external_id, reference=reference, actor=actor, at=now
    )
    if received is None:
        return _result("unchanged", order)
    if received.earlier is not None:
        ledger.flag_for_review(
            uow,
            order,
            code=DUPLICATE_PAYMENT,
            detail=f"{reference} paid an order already paid by {received.earlier}: refunded automatically",
            reference=external_id,
            at=now,
        )
        return _result("duplicate", order, refund_due=True)
    if order.status == OrderStatus.CANCELLED.value:
        ledger.flag_for_review(
            uow,
            order,
            code=PAID_AFTER_CANCELLATION,
            detail=f"{reference} was paid after the order was cancelled: refunded automatically",
            reference=external_id,
            at=now,
        )
        return _result("paid", order, refund_due=True)
    ledger.confirm_if_pending(uow, order, actor=actor, at=now, reason=f"paid ({reference})")
    notifications.queue_paid_order(uow, order, at=now)
    return _result("paid", order)


def _order_for(uow: UnitOfWork, session: CheckoutSession) -> Order | None:
    order_id = session.named_order_id
    return uow.orders.get_for_update(order_id) if order_id else None


def _matches(
    uow: UnitOfWork, order: Order, session: CheckoutSession, now: datetime, attempts: list[PaymentAttempt]
) -> bool:
    """The session must name this order and carry its exact amount and currency; anything else is
    flagged for a person and never marks the order paid."""
    problems = []
    if session.client_reference_id and session.order_id and session.client_reference_id != session.order_id:
        problems.append(f"client_reference_id {session.client_reference_id} != metadata.order_id {session.order_id}")
    # the order total, or what one of its attempts asked for (weighed goods: total + margin)
    expected = {order.total} | {a.amount for a in attempts if a.amount is not None}
    if session.amount_total not in expected:
        problems.append(f"amount {session.amount_total} != order total {order.total}")
    if (session.currency or "").upper() != order.currency:
        problems.append(f"currency {session.currency} != {order.currency}")
    if not problems:
        return True
    ledger.flag_for_review(
        uow, order, code="checkout_mismatch", detail="; ".join(problems), reference=session.id, at=now
    )
    return False


def _attempt_for(
    uow: UnitOfWork, order: Order, session: CheckoutSession, attempts: list[PaymentAttempt] | None = None
) -> PaymentAttempt | None:
    """Our attempt row for this session; adopts a row whose creation was interrupted before the
    session id was stored (the idempotent create returned it, but we crashed before writing it).
    `attempts`: the order's attempts if the caller has just read them (saves a query)."""
    if attempts is None:
        attempts = uow.payments.attempts(order.id)
    attempt = next((a for a in attempts if a.provider_id == session.id), None)
    if attempt is None:  # provider ids are unique: only another order's attempt could still hold it
        attempt = uow.payments.attempt_by_provider_id(session.id)
    if attempt is not None:
        return attempt
    for candidate in reversed(attempts):
        if candidate.kind == AttemptKind.CHECKOUT_SESSION and candidate.provider_id is None:
            candidate.provider_id = session.id
            candidate.url = session.url
            candidate.state = AttemptState.OPEN
            return candidate
    return None


def _other_live_attempt(uow: UnitOfWork, order: Order, session: CheckoutSession) -> bool:
    return any(
        a.provider_id != session.id and a.state in {AttemptState.CREATING, AttemptState.OPEN, AttemptState.PROCESSING}
        for a in uow.payments.attempts(order.id)
    )


def _result(outcome: str, order: Order, *, refund_due: bool = False) -> FulfilmentResult:
    return FulfilmentResult(outcome, order.id, order.status, order.payment_status, refund_due)
