"""Card authorisations waiting for capture, and their deadline.

A shop that captures by weight holds an authorisation on the customer's card until the merchant
weighs the order. Stripe releases an online card authorisation it was not asked to capture after
7 days; after that the customer has to pay again. So the desk lists the open ones with their
deadline (authorised + 7 days), and the worker e-mails the shop's merchants once, a day before,
each in their own language, the deadline in the shop's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from comptoir.records.payments import PaymentAttempt
from comptoir.records.shop import Order
from comptoir.services.messages.notifications import words_for
from comptoir.services.payments import capture
from comptoir.services.ports import NewMessage, UnitOfWork

CARD_AUTHORISATION_DAYS = 7
"""Stripe releases an uncaptured online card authorisation after 7 days: capture before then."""
WARN_BEFORE = timedelta(days=1)
MAX_OPEN_AUTHORISATIONS = 200
"""More open authorisations than a small shop ever holds at once; the oldest come first."""


@dataclass(frozen=True, slots=True)
class OpenAuthorisation:
    order_id: str
    number: str
    shop_id: int
    customer_id: int
    amount: int
    currency: str
    authorised_at: datetime
    capture_before: datetime

    def is_due_soon(self, now: datetime) -> bool:
        return self.capture_before - now <= WARN_BEFORE


def open_authorisations(uow: UnitOfWork, shop_ids: frozenset[int] | None) -> tuple[OpenAuthorisation, ...]:
    """The authorisations of these shops waiting for capture, oldest first (inside the caller's
    transaction)."""
    return tuple(
        _open(attempt, order)
        for attempt, order in uow.merchant.open_authorisations(shop_ids, limit=MAX_OPEN_AUTHORISATIONS)
    )


def open_authorisation(uow: UnitOfWork, order: Order) -> OpenAuthorisation | None:
    """This order's authorisation waiting for capture, if it has one."""
    attempt = capture.authorised_attempt(uow, order.id)
    return _open(attempt, order) if attempt is not None else None


def _open(attempt: PaymentAttempt, order: Order) -> OpenAuthorisation:
    return OpenAuthorisation(
        order_id=order.id,
        number=order.number,
        shop_id=order.shop_id,
        customer_id=order.customer_id,
        amount=attempt.amount or order.total,
        currency=order.currency,
        authorised_at=attempt.created_at,
        capture_before=attempt.created_at + timedelta(days=CARD_AUTHORISATION_DAYS),
    )


def warn_merchants(uow: UnitOfWork, *, now: datetime, zone: tzinfo = UTC) -> int:
    """Queue, once per authorisation, an e-mail to its shop's merchants a day before its deadline.
    Run as often as you like: the dedupe key makes a repeat queue nothing. How many were queued.
    (`zone`: the deadline's time zone for a shop whose own is unknown.)"""
    with uow:
        messages: list[NewMessage] = []
        for item in open_authorisations(uow, None):
            if not item.is_due_soon(now) or item.capture_before <= now:
                continue
            contacts = uow.outbox.order_contacts(item.customer_id, item.shop_id)
            for address in contacts.merchants:
                w = words_for(uow, contacts, address, zone=zone)
                amount = w.money(item.amount, item.currency)
                deadline = w._("%(day)s at %(time)s", day=w.date(item.capture_before), time=w.time(item.capture_before))
                messages.append(
                    NewMessage(
                        dedupe_key=f"order:{item.order_id}:capture_deadline:{address}",
                        topic="capture_deadline",
                        recipient=address,
                        subject=w._(
                            "%(shop)s: weigh order %(number)s before %(deadline)s",
                            shop=contacts.shop_name,
                            number=item.number,
                            deadline=deadline,
                        ),
                        body=w._(
                            "The customer's card holds %(amount)s for order %(number)s until %(deadline)s.",
                            amount=amount,
                            number=item.number,
                            deadline=deadline,
                        )
                        + "\n"
                        + w._(
                            "Weigh it and take the payment before then (the order's page, “Weigh and take "
                            "payment”); after that the card is released and the customer has to pay again."
                        )
                        + "\n",
                        order_id=item.order_id,
                    )
                )
        queued = uow.outbox.add_if_new(messages, at=now) if messages else 0
        uow.commit()
        return queued
