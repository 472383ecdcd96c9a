"""Cards confirmed on the server (seed 003): `POST /api/orders/{id}/pay`.

The browser sends a PaymentMethod id; we create ONE PaymentIntent per order attempt for the
order's server-side amount and confirm it with that card. The same three-step pattern as
`checkout.start_checkout` keeps every database lock off the network:

1. a short transaction locks the order, checks it can be paid, and reserves (or reuses) the
   attempt row whose deterministic key is `order:{id}:intent:{n}`;
2. outside any transaction: create the intent under that key, then confirm it under
   `order:{id}:intent:{n}:confirm:{payment_method}`;
3. a short transaction records what the intent says, through the functions the webhooks use.

Decisions the issue left open:

- The intent is created *without* the card and confirmed in a second call. The create then
  carries only what the order determines, so two racing clicks (even with two different
  PaymentMethods, as Stripe.js makes one per submission) send identical parameters under the
  same key and get the same intent; the confirms are keyed per card, so a repeated click with
  one card is one confirmation, and a second card arriving after the first succeeded is refused
  by Stripe ("already succeeded") and answered from the intent as it is.
- A declined card leaves the intent in `requires_payment_method`; the attempt is `failed`, the
  order's payment status `failed`, and the next card confirms the SAME intent.
- `/pay` expires the order's open Checkout Sessions before it takes a card: a session already
  paid is fulfilled instead and `/pay` stops (409 `order_already_paid`). If money is taken
  twice anyway (a session opened in another tab after `/pay` started), the second payment is
  recorded and refunded automatically (`services.duplicates`).
- A repeated `/pay` on an order this very flow has already paid answers `succeeded` again
  (a double click that lost the race sees the same outcome as the one that won).
- For shops that capture manually (weighed goods) the intent authorises total + margin; the
  answer's status is then `authorized` and the order is confirmed with payment `processing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from comptoir.adapters.db.models import Order, Shop
from comptoir.adapters.db.payment_models import PaymentAttempt
from comptoir.domain.actors import Actor, Role
from comptoir.domain.errors import Conflict, InvalidInput, NotFound, PaymentRequired
from comptoir.domain.orders import PAID_STATUSES, OrderStatus, PaymentStatus, check_payable
from comptoir.domain.payment_messages import customer_message
from comptoir.domain.payments import AttemptKind, AttemptState, Keys, authorised_amount
from comptoir.services import payment_paths
from comptoir.services.payment_gateway import (
    PaymentGateway,
    PaymentIntent,
    PaymentIntentRequest,
    PaymentIntentUnexpectedState,
)
from comptoir.services.payment_ports import PaymentUnitOfWork
from comptoir.services.views import OrderView

KIND = AttemptKind.PAYMENT_INTENT
ACTOR = Actor.system("pay")
# Attempt states in which the intent can still be confirmed (a declined card leaves it reusable).
_REUSABLE = {AttemptState.CREATING, AttemptState.OPEN, AttemptState.FAILED}


@dataclass(frozen=True, slots=True)
class PayResult:
    status: str  # succeeded | authorized | requires_action | processing
    order: OrderView
    payment_intent_id: str | None = None
    client_secret: str | None = None
    next_action_type: str | None = None


def pay_order(
    uow: PaymentUnitOfWork,
    gateway: PaymentGateway,
    actor: Actor,
    order_id: str,
    *,
    payment_method_id: str | None = None,
    payment_intent_id: str | None = None,
    now: datetime,
) -> PayResult:
    """`{payment_method_id}` pays with a card; `{payment_intent_id}` finishes after 3-D Secure."""
    if bool(payment_method_id) == bool(payment_intent_id):
        raise InvalidInput("send exactly one of payment_method_id or payment_intent_id", code="pay_body_invalid")
    if payment_intent_id:
        return _finish(uow, gateway, actor, order_id, payment_intent_id, now)
    assert payment_method_id is not None
    return _pay_with_card(uow, gateway, actor, order_id, payment_method_id, now)


# --- paying with a card ------------------------------------------------------------------------


def _pay_with_card(
    uow: PaymentUnitOfWork, gateway: PaymentGateway, actor: Actor, order_id: str, payment_method_id: str, now: datetime
) -> PayResult:
    with uow:
        order = _owned_order(uow, actor, order_id)
        already = _already_paid_here(uow, order)
        if already is not None:
            return already
        check_payable(order, now)
        sessions = payment_paths.open_paths(uow, order, kinds=frozenset({payment_paths.SESSION}))
    payment_paths.close_payment_paths(uow, gateway, sessions, actor=ACTOR, now=now)

    with uow:
        order = _owned_order(uow, actor, order_id)
        already = _already_paid_here(uow, order)
        if already is not None:
            return already
        check_payable(order, now)
        shop = uow.shops.get(order.shop_id)
        assert shop is not None
        attempt = _live_attempt(uow, order) or _reserve_attempt(uow, order, shop, now)
        key, provider_id = attempt.idempotency_key, attempt.provider_id
        confirm_key = Keys.confirm(key, payment_method_id)
        if attempt.state == AttemptState.FAILED:
            # After a recorded failure the same card may be tried again (e.g. 3-D Secure failed).
            confirm_key = Keys.confirm_after_failure(key, payment_method_id, attempt.updated_at)
        request = PaymentIntentRequest(
            order_id=order.id,
            amount=attempt.amount or order.total,
            currency=order.currency,
            capture_manually=shop.capture_manually,
            metadata={"order_number": order.number},
        )
        uow.commit()

    if provider_id is None:
        provider_id = gateway.create_payment_intent(request, idempotency_key=key).id
        _remember_intent(uow, order_id, key, provider_id)
    try:
        intent = gateway.confirm_payment_intent(
            provider_id, payment_method=payment_method_id, idempotency_key=confirm_key
        )
    except PaymentIntentUnexpectedState:
        # Another click (or card) got there first: what the intent says now is the answer.
        intent = gateway.retrieve_payment_intent(provider_id)
    except PaymentRequired:
        # Declined: the intent is back to requires_payment_method with the error on it (or, if a
        # racing click's card paid it meanwhile, succeeded). Record and answer what it says.
        intent = gateway.retrieve_payment_intent(provider_id)
    return _record_outcome(uow, gateway, order_id, key, intent, now)


def _live_attempt(uow: PaymentUnitOfWork, order: Order) -> PaymentAttempt | None:
    attempts = [a for a in uow.payments.attempts(order.id) if a.kind == KIND]
    latest = attempts[-1] if attempts else None
    return latest if latest is not None and latest.state in _REUSABLE else None


def _reserve_attempt(uow: PaymentUnitOfWork, order: Order, shop: Shop, now: datetime) -> PaymentAttempt:
    number = max((a.number for a in uow.payments.attempts(order.id)), default=0) + 1
    return uow.payments.add_attempt(
        PaymentAttempt(
            order_id=order.id,
            number=number,
            kind=KIND,
            idempotency_key=Keys.intent(order.id, number),
            state=AttemptState.CREATING,
            amount=authorised_amount(order.total, shop),
            expires_at=order.hold_expires_at,
            created_at=now,
            updated_at=now,
        )
    )


def _remember_intent(uow: PaymentUnitOfWork, order_id: str, key: str, provider_id: str) -> None:
    with uow:
        uow.orders.get_for_update(order_id)
        attempt = payment_paths.attempt_by_key(uow, order_id, key)
        if attempt.provider_id is None:
            attempt.provider_id = provider_id
            uow.commit()


# --- after 3-D Secure --------------------------------------------------------------------------


def _finish(
    uow: PaymentUnitOfWork, gateway: PaymentGateway, actor: Actor, order_id: str, payment_intent_id: str, now: datetime
) -> PayResult:
    """Re-read the intent the browser names, check it is this order's, confirm it if Stripe waits
    for that (manual confirmation), and record the outcome."""
    with uow:
        order = _owned_order(uow, actor, order_id)
        attempt = uow.payments.attempt_by_provider_id(payment_intent_id)
        if attempt is not None and attempt.order_id != order.id:
            raise Conflict("this payment belongs to another order", code="payment_intent_other_order")
        shop = uow.shops.get(order.shop_id)
        assert shop is not None
        expected = attempt.amount if attempt is not None and attempt.amount else authorised_amount(order.total, shop)
        currency = order.currency
        key = attempt.idempotency_key if attempt is not None else None
        unsent = [a.idempotency_key for a in uow.payments.attempts(order.id) if a.kind == KIND and not a.provider_id]

    intent = gateway.retrieve_payment_intent(payment_intent_id)
    if intent.order_id != order_id:
        raise Conflict("this payment belongs to another order", code="payment_intent_other_order")
    if intent.currency != currency or intent.amount != expected:
        raise Conflict(
            f"this payment is for {intent.amount} {intent.currency}, not this order's amount",
            code="payment_intent_amount_mismatch",
        )
    if key is None:
        # Our create reached Stripe but we never stored its id (crash in between): adopt it.
        if not unsent:
            raise Conflict("this payment was not started by this shop for this order", code="payment_intent_unknown")
        key = unsent[-1]
        _remember_intent(uow, order_id, key, intent.id)
    if intent.status == "requires_confirmation":
        try:
            intent = gateway.confirm_payment_intent(
                intent.id, payment_method=None, idempotency_key=Keys.confirm_after_action(key, intent.payment_method_id)
            )
        except PaymentIntentUnexpectedState:
            intent = gateway.retrieve_payment_intent(intent.id)
        except PaymentRequired:
            intent = gateway.retrieve_payment_intent(intent.id)
    return _record_outcome(uow, gateway, order_id, key, intent, now)


# --- recording what the intent says ------------------------------------------------------------


def _record_outcome(
    uow: PaymentUnitOfWork, gateway: PaymentGateway, order_id: str, key: str, intent: PaymentIntent, now: datetime
) -> PayResult:
    """Apply the intent's state to the order (forward only) and answer the browser."""
    return _answer(intent, payment_paths.record_intent(uow, gateway, order_id, key, intent, actor=ACTOR, now=now))


def _answer(intent: PaymentIntent, view: OrderView) -> PayResult:
    if intent.status in {"succeeded", "requires_capture"} and view.status is OrderStatus.CANCELLED:
        # The order was cancelled while the card was being charged: the money (or hold) was given back.
        raise Conflict(
            "this order was cancelled while your card was being charged; the payment has been given back",
            code="order_cancelled",
            payment_intent_id=intent.id,
            payment_status=view.payment_status.value,
        )
    if intent.status == "succeeded":
        return PayResult("succeeded", view, intent.id)
    if intent.status == "requires_capture":
        return PayResult("authorized", view, intent.id)
    if intent.status == "requires_action":
        return PayResult("requires_action", view, intent.id, intent.client_secret, intent.next_action_type)
    if intent.status == "processing":
        return PayResult("processing", view, intent.id)
    if intent.status == "requires_payment_method" and intent.error_code:
        raise PaymentRequired(
            intent.error_message or "The payment was declined",
            code=intent.error_code,
            decline_code=intent.decline_code,
            message=customer_message(intent.error_code, intent.error_message),
            payment_intent_id=intent.id,
        )
    if intent.status == "canceled":
        raise Conflict("this payment was canceled; pay again", code="payment_canceled")
    raise Conflict(f"the payment is {intent.status}; send a card to pay", code="payment_incomplete")


# --- helpers -------------------------------------------------------------------------------------


def _owned_order(uow: PaymentUnitOfWork, actor: Actor, order_id: str) -> Order:
    order = uow.orders.get_for_update(order_id)
    if order is None or not (order.customer_id == actor.user_id or actor.role is Role.ADMIN):
        raise NotFound(f"no order {order_id}", code="order_not_found")
    return order


def _already_paid_here(uow: PaymentUnitOfWork, order: Order) -> PayResult | None:
    """A repeated click on an order this flow already paid sees the same success (not once the order
    is cancelled: its payment was refunded, and the click is told the order is cancelled)."""
    if PaymentStatus(order.payment_status) not in PAID_STATUSES or order.status == OrderStatus.CANCELLED.value:
        return None
    paid_by = {e.external_id for e in uow.payments.ledger(order.id) if e.kind == "payment"}
    for attempt in uow.payments.attempts(order.id):
        if attempt.kind == KIND and attempt.provider_id in paid_by:
            return PayResult("succeeded", payment_paths.order_view(uow, order), attempt.provider_id)
    return None
