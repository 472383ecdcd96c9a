"""What an order's payment records say, read for clients that show provider references.

The seeds' APIs show `stripe_session_id` (seed 000) and `paidAt`, `refundedAt`,
`stripeSessionId`, `stripePaymentIntentId` (seed 002) on an order. These are read from the
attempts and the ledger that checkout and fulfilment already write; nothing here decides
anything or writes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from comptoir.domain.actors import Actor
from comptoir.domain.errors import NotFound
from comptoir.domain.ledger import EntryKind
from comptoir.domain.payments import AttemptKind, provider_kind
from comptoir.services import ordering
from comptoir.services.payment_ports import PaymentUnitOfWork
from comptoir.services.views import OrderView


@dataclass(frozen=True, slots=True)
class PaymentFacts:
    checkout_session_id: str | None  # the latest Checkout Session started for the order
    payment_intent_id: str | None  # the PaymentIntent that paid it, else the latest one started
    paid_at: datetime | None  # when the first payment was recorded
    refunded_at: datetime | None  # when the latest refund was recorded


@dataclass(frozen=True, slots=True)
class OrderWithPayments:
    order: OrderView
    payments: PaymentFacts


def my_order_with_payments(uow: PaymentUnitOfWork, actor: Actor, order_id: str) -> OrderWithPayments:
    """One of the actor's own orders (anyone else's is NotFound, as `ordering.get_my_order`) and its payment facts."""
    order = ordering.get_my_order(uow, actor, order_id)
    return OrderWithPayments(order, payment_facts(uow, order.id))


def payment_facts(uow: PaymentUnitOfWork, order_id: str) -> PaymentFacts:
    with uow:
        attempts = uow.payments.attempts(order_id)
        ledger = uow.payments.ledger(order_id)
        sessions = [a.provider_id for a in attempts if a.kind == AttemptKind.CHECKOUT_SESSION and a.provider_id]
        intents = [a.provider_id for a in attempts if a.kind == AttemptKind.PAYMENT_INTENT and a.provider_id]
        payments = [e for e in ledger if e.kind == EntryKind.PAYMENT.value]
        refunds = [e for e in ledger if e.kind == EntryKind.REFUND.value]
        paying_intent = next(
            (e.external_id for e in payments if provider_kind(e.external_id) is AttemptKind.PAYMENT_INTENT), None
        )
        return PaymentFacts(
            checkout_session_id=sessions[-1] if sessions else None,
            payment_intent_id=paying_intent or (intents[-1] if intents else None),
            paid_at=min((e.recorded_at for e in payments), default=None),
            refunded_at=max((e.recorded_at for e in refunds), default=None),
        )


def order_of_payment_intent(uow: PaymentUnitOfWork, actor: Actor, payment_intent_id: str) -> str:
    """The id of the actor's own order a PaymentIntent was created for (seed 003's second `/pay`
    names only the intent). Unknown, or someone else's: NotFound, without naming the order."""
    with uow:
        attempt = uow.payments.attempt_by_provider_id(payment_intent_id)
        order = uow.orders.get(attempt.order_id) if attempt is not None else None
        if (
            attempt is None
            or attempt.kind != AttemptKind.PAYMENT_INTENT
            or order is None
            or order.customer_id != actor.user_id
        ):
            raise NotFound(f"no payment intent {payment_intent_id} for your orders", code="payment_intent_not_found")
        return order.id
