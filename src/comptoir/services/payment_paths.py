"""An order's payment paths: applying what a PaymentIntent says, and closing every path still open.

A path is a Checkout Session or a `/pay` PaymentIntent the order could still be paid through.
Before an order is cancelled (by the customer, the shop's refusal, or its hold expiring) and
before `/pay` takes a card, the paths that could take money are closed at Stripe, each with our
own key: an open session is expired (`{attempt key}:expire`), an intent that can still be
confirmed or captured is canceled (`{attempt key}:cancel`). Whatever Stripe then says is applied
through fulfilment, so a path that won the race (a session already paid, an intent that
succeeded) is recorded as the payment it is, and the caller re-checks the order afterwards.

This runs outside any transaction: reading the paths is one short transaction, the Stripe calls
hold no lock, and applying each answer is its own short transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from comptoir.adapters.db.models import Order
from comptoir.adapters.db.payment_models import PaymentAttempt
from comptoir.domain.actors import Actor
from comptoir.domain.errors import ComptoirError
from comptoir.domain.payments import AttemptKind, AttemptState, Keys
from comptoir.services import duplicates, fulfilment, payments
from comptoir.services.payment_gateway import PaymentGateway, PaymentIntent, PaymentIntentUnexpectedState
from comptoir.services.payment_ports import PaymentUnitOfWork
from comptoir.services.views import OrderView

SESSION = AttemptKind.CHECKOUT_SESSION
INTENT = AttemptKind.PAYMENT_INTENT
# Stripe lets a PaymentIntent be canceled only in these states (not processing, succeeded, canceled).
CANCELLABLE_INTENT_STATES = frozenset(
    {"requires_payment_method", "requires_confirmation", "requires_action", "requires_capture"}
)
# Attempt states whose provider object may still take money. An `authorized` attempt is a card
# authorisation the merchant releases on refusal (`merchant_refunds`), with its own message.
_OPEN_SESSION_STATES = frozenset({AttemptState.CREATING, AttemptState.OPEN})
_OPEN_INTENT_STATES = frozenset({AttemptState.CREATING, AttemptState.OPEN, AttemptState.FAILED})


@dataclass(frozen=True, slots=True)
class PaymentPath:
    order_id: str
    kind: str  # checkout_session | payment_intent
    provider_id: str
    key: str  # the attempt's idempotency key; closing it is keyed from it


def open_paths(
    uow: PaymentUnitOfWork, order: Order, *, kinds: frozenset[str] = frozenset({SESSION, INTENT})
) -> list[PaymentPath]:
    """The order's paths that may still take money (inside the caller's transaction). An attempt
    whose provider object was never created (or whose id was never stored) cannot be closed: if it
    takes money after the order is cancelled, that money is refunded (`services.duplicates`)."""
    found = []
    for attempt in uow.payments.attempts(order.id):
        if attempt.kind in kinds and attempt.provider_id and _may_take_money(attempt):
            found.append(PaymentPath(order.id, attempt.kind, attempt.provider_id, attempt.idempotency_key))
    return found


def _may_take_money(attempt: PaymentAttempt) -> bool:
    states = _OPEN_SESSION_STATES if attempt.kind == SESSION else _OPEN_INTENT_STATES
    return attempt.state in states


def close_payment_paths(
    uow: PaymentUnitOfWork, gateway: PaymentGateway, paths: list[PaymentPath], *, actor: Actor, now: datetime
) -> None:
    """Close each path at Stripe with our keys and apply what it turned out to be."""
    for path in paths:
        if path.kind == SESSION:
            _close_session(uow, gateway, path, actor=actor, now=now)
        else:
            _close_intent(uow, gateway, path, actor=actor, now=now)


def _close_session(
    uow: PaymentUnitOfWork, gateway: PaymentGateway, path: PaymentPath, *, actor: Actor, now: datetime
) -> None:
    session = gateway.retrieve_checkout_session(path.provider_id)
    if session.status == "open":
        try:
            session = gateway.expire_checkout_session(path.provider_id, idempotency_key=Keys.expire(path.key))
        except ComptoirError:
            # Refused: it was completed (or expired) meanwhile. Read what it is now.
            session = gateway.retrieve_checkout_session(path.provider_id)
    result = fulfilment.fulfil_checkout(uow, session, actor=actor, now=now)
    if result.refund_due and result.order_id is not None:
        duplicates.refund_duplicates(uow, gateway, now=now, order_id=result.order_id)


def _close_intent(
    uow: PaymentUnitOfWork, gateway: PaymentGateway, path: PaymentPath, *, actor: Actor, now: datetime
) -> None:
    intent = gateway.retrieve_payment_intent(path.provider_id)
    if intent.status in CANCELLABLE_INTENT_STATES:
        try:
            intent = gateway.cancel_payment_intent(path.provider_id, idempotency_key=Keys.cancel(path.key))
        except PaymentIntentUnexpectedState:
            # It moved meanwhile (a 3-D Secure completed, a click confirmed it): read what it is now.
            intent = gateway.retrieve_payment_intent(path.provider_id)
    record_intent(uow, gateway, path.order_id, path.key, intent, actor=actor, now=now)


def record_intent(
    uow: PaymentUnitOfWork,
    gateway: PaymentGateway,
    order_id: str,
    key: str,
    intent: PaymentIntent,
    *,
    actor: Actor,
    now: datetime,
) -> OrderView:
    """Bring the order and the attempt keyed `key` in line with what the intent says (forward only;
    `/pay`, closing paths and the reconciler). A payment the order is not owed (a second one, or
    one landing on a cancelled order) is refunded right after the commit, and a card authorised
    for a cancelled order is released (its intent canceled under `{key}:cancel`), both by
    `duplicates.refund_duplicates`."""
    refund_due = False
    with uow:
        order = uow.orders.get_for_update(order_id)
        assert order is not None
        attempt = attempt_by_key(uow, order_id, key)
        if attempt.provider_id is None:
            attempt.provider_id = intent.id
        reason = f"payment {intent.id}"
        status = intent.status
        if status == "succeeded":
            payments.advance_attempt(attempt, AttemptState.SUCCEEDED, now)
            result = fulfilment.apply_payment_received(
                uow, order, amount=intent.amount_received, external_id=intent.id, reference=reason, actor=actor, now=now
            )
            refund_due = result.refund_due
        elif status == "requires_capture":
            result = fulfilment.apply_authorisation(uow, order, attempt, reference=reason, actor=actor, now=now)
            refund_due = result.refund_due
        elif status == "requires_action":
            payments.advance_attempt(attempt, AttemptState.OPEN, now)
        elif status == "processing":
            payments.advance_attempt(attempt, AttemptState.PROCESSING, now)
            payments.sync_payment_status(uow, order, actor=actor, at=now, reason=f"{reason} processing")
        elif status == "canceled":
            payments.advance_attempt(attempt, AttemptState.CANCELED, now)
            payments.sync_payment_status(uow, order, actor=actor, at=now, reason=f"{reason} canceled")
        elif status == "requires_payment_method" and intent.error_code:
            payments.advance_attempt(attempt, AttemptState.FAILED, now)
            payments.sync_payment_status(uow, order, actor=actor, at=now, reason=f"{reason} declined")
        view = order_view(uow, order)
        uow.commit()
    if refund_due:  # money the order is not owed, or a hold on a card for a cancelled order: give it back now
        duplicates.refund_duplicates(uow, gateway, now=now, order_id=order_id)
        with uow:
            order = uow.orders.get(order_id)
            assert order is not None
            view = order_view(uow, order)
    return view


def attempt_by_key(uow: PaymentUnitOfWork, order_id: str, key: str) -> PaymentAttempt:
    attempt = next((a for a in uow.payments.attempts(order_id) if a.idempotency_key == key), None)
    assert attempt is not None, "the attempt was reserved before the provider was called"
    return attempt


def order_view(uow: PaymentUnitOfWork, order: Order) -> OrderView:
    shop = uow.shops.get(order.shop_id)
    assert shop is not None
    return OrderView.of(order, shop.slug)
