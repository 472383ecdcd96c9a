"""Refunding a payment that paid an order twice.

`fulfilment.apply_payment_received` records every payment that really happened and flags the
second one for an order `duplicate_payment` (in `order_reviews`, keyed by its PaymentIntent).
It cannot refund there: it runs inside the webhook's (or `/pay`'s) transaction, and no database
lock may be held across a Stripe call. So the refund happens here, afterwards — called by
`/pay` right after its commit, and by the worker on every tick for duplicates that webhooks
brought in:

1. read the open flags (short transaction);
2. ask Stripe for a refund of that payment with the deterministic key
   `payment:{pi}:duplicate-refund` — a crash, a retry or two workers racing all send the same
   key, so the customer is refunded once;
3. record the refund in the ledger through `refunds.sync_refunds` (keyed by the refund id, so
   the `charge.refunded` webhook recording it too changes nothing) and close the flag.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from comptoir.domain.errors import Conflict
from comptoir.domain.ledger import EntryKind
from comptoir.services import refunds
from comptoir.services.fulfilment import DUPLICATE_PAYMENT
from comptoir.services.payment_gateway import PaymentGateway
from comptoir.services.payment_ports import PaymentUnitOfWork

log = logging.getLogger(__name__)

ACTOR = "system:duplicates"


@dataclass(frozen=True, slots=True)
class DuplicateRefund:
    order_id: str
    payment_intent_id: str
    refund_id: str | None


def refund_key(payment_intent_id: str) -> str:
    return f"payment:{payment_intent_id}:duplicate-refund"


def refund_duplicates(
    uow: PaymentUnitOfWork, gateway: PaymentGateway, *, now: datetime, order_id: str | None = None, limit: int = 50
) -> list[DuplicateRefund]:
    """Refund every flagged duplicate payment (of one order, or all), recording each refund once."""
    with uow:
        pending = []
        for review in uow.payments.open_reviews_with_code(DUPLICATE_PAYMENT, order_id=order_id, limit=limit):
            entry = uow.payments.entry(EntryKind.PAYMENT.value, review.reference)
            if entry is not None:
                pending.append((review.order_id, review.reference, entry.amount))
    done = []
    for order, intent, amount in pending:
        try:
            refund = gateway.create_refund(
                intent,
                amount,
                "duplicate",
                {"order_id": order, "why": "this order was paid twice; this payment is the extra one"},
                idempotency_key=refund_key(intent),
            )
            provider_refunds = [refund]
        except Conflict:
            # Refused for good (e.g. someone already refunded it in the Dashboard): take Stripe's list as it is.
            provider_refunds = gateway.list_refunds(intent)
        with uow:
            refunds.sync_refunds(uow, intent, provider_refunds, actor=ACTOR, now=now)
            for review in uow.payments.open_reviews_with_code(DUPLICATE_PAYMENT, order_id=order):
                if review.reference == intent:
                    review.resolved_at = now
            uow.commit()
        log.info("refunded duplicate payment %s of order %s", intent, order)
        done.append(DuplicateRefund(order, intent, provider_refunds[0].id if provider_refunds else None))
    return done
