"""Messages that leave the process, written to the outbox in the transaction that caused them.

Nothing is sent from a request or a webhook: a worker (`services.outbox.dispatch_due`) sends
what the outbox holds, with retries. Each message has a dedupe key naming the fact it reports
(`order:{id}:receipt`), so the fact being learned twice still queues one message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from comptoir.adapters.db.models import Order
from comptoir.domain.money import Money, milli_to_quantity
from comptoir.services.payment_ports import PaymentUnitOfWork


class Mailer(Protocol):
    """Sends one email; raises on failure (the outbox retries). SMTP or console in `adapters.mail`."""

    def send(self, *, to: str, subject: str, body: str) -> None: ...


def queue(
    uow: PaymentUnitOfWork,
    *,
    dedupe_key: str,
    topic: str,
    recipient: str,
    subject: str,
    body: str,
    order_id: str | None,
    at: datetime,
) -> bool:
    return uow.outbox.add_if_new(
        dedupe_key=dedupe_key,
        topic=topic,
        recipient=recipient,
        subject=subject,
        body=body,
        order_id=order_id,
        at=at,
    )


def queue_paid_order(uow: PaymentUnitOfWork, order: Order, *, at: datetime) -> None:
    """A receipt to the customer and an alert to each of the shop's merchants."""
    contacts = uow.outbox.order_contacts(order.customer_id, order.shop_id)
    if contacts.customer:
        queue(
            uow,
            dedupe_key=f"order:{order.id}:receipt",
            topic="receipt",
            recipient=contacts.customer,
            subject=f"{contacts.shop_name}: receipt for order {order.number}",
            body=_receipt_body(order, contacts.shop_name),
            order_id=order.id,
            at=at,
        )
    _queue_alerts(
        uow, order, at=at, headline="New paid order", shop_name=contacts.shop_name, addresses=contacts.merchants
    )


def queue_merchant_alert(uow: PaymentUnitOfWork, order: Order, *, at: datetime, headline: str) -> None:
    contacts = uow.outbox.order_contacts(order.customer_id, order.shop_id)
    _queue_alerts(uow, order, at=at, headline=headline, shop_name=contacts.shop_name, addresses=contacts.merchants)


def _queue_alerts(
    uow: PaymentUnitOfWork, order: Order, *, at: datetime, headline: str, shop_name: str, addresses: Sequence[str]
) -> None:
    for address in addresses:
        queue(
            uow,
            dedupe_key=f"order:{order.id}:alert:{headline}:{address}",
            topic="merchant_alert",
            recipient=address,
            subject=f"{headline}: {order.number} ({_money(order.total, order.currency)})",
            body=(
                f"{headline} for {shop_name}.\n\n{_lines(order)}\n\n"
                f"Payment: {order.payment_method}, {order.payment_status}.\n"
            ),
            order_id=order.id,
            at=at,
        )


def queue_payment_failed(uow: PaymentUnitOfWork, order: Order, *, attempt_ref: str, at: datetime) -> None:
    _tell_customer(
        uow,
        order,
        fact=f"payment_failed:{attempt_ref}",
        topic="payment_failed",
        at=at,
        write=lambda shop: (
            f"{shop}: the payment for order {order.number} failed",
            f"Your bank did not complete the payment of {_money(order.total, order.currency)} for order "
            f"{order.number}. Nothing was charged. You can pay again from your order page while it is held.\n",
        ),
    )


def _tell_customer(
    uow: PaymentUnitOfWork,
    order: Order,
    *,
    fact: str,
    topic: str,
    at: datetime,
    write: Callable[[str], tuple[str, str]],
) -> None:
    """Queue one message to the order's customer about `fact` (once per order and fact);
    `write(shop_name)` gives its subject and body."""
    contacts = uow.outbox.order_contacts(order.customer_id, order.shop_id)
    if not contacts.customer:
        return
    subject, body = write(contacts.shop_name)
    queue(
        uow,
        dedupe_key=f"order:{order.id}:{fact}",
        topic=topic,
        recipient=contacts.customer,
        subject=subject,
        body=body,
        order_id=order.id,
        at=at,
    )


def _money(amount: int, currency: str) -> str:
    return Money(amount, currency).format()


def _lines(order: Order) -> str:
    return "\n".join(
        f"  {milli_to_quantity(line.quantity_milli).normalize():f} {line.unit} x {line.name}: "
        f"{_money(line.line_total, order.currency)}"
        for line in order.lines
    )


def _receipt_body(order: Order, shop_name: str) -> str:
    return (
        f"Thank you for your order at {shop_name}.\n\nOrder {order.number}\n{_lines(order)}\n\n"
        f"Total paid: {_money(order.total, order.currency)}\n"
    )


# --- the merchant workflow (pay at pickup, refusal, ready, refunds) --------------------------------


def queue_pickup_order(uow: PaymentUnitOfWork, order: Order, *, at: datetime) -> None:
    """A pay-at-pickup order was placed: the customer's confirmation and the shop's alert, at once."""
    contacts = uow.outbox.order_contacts(order.customer_id, order.shop_id)
    if contacts.customer:
        queue(
            uow,
            dedupe_key=f"order:{order.id}:pickup_confirmed",
            topic="order_confirmed",
            recipient=contacts.customer,
            subject=f"{contacts.shop_name}: order {order.number} confirmed, pay at pickup",
            body=(
                f"{contacts.shop_name} received your order {order.number}.\n\n{_lines(order)}\n\n"
                f"Total to pay at pickup: {_money(order.total, order.currency)}\n"
            ),
            order_id=order.id,
            at=at,
        )
    _queue_alerts(
        uow, order, at=at, headline="New pickup order", shop_name=contacts.shop_name, addresses=contacts.merchants
    )


def queue_counter_receipt(uow: PaymentUnitOfWork, order: Order, *, method: str, at: datetime) -> None:
    _tell_customer(
        uow,
        order,
        fact="receipt",
        topic="receipt",
        at=at,
        write=lambda shop: (
            f"{shop}: receipt for order {order.number}",
            _receipt_body(order, shop) + f"Paid at pickup ({method.replace('_', ' ')}).\n",
        ),
    )


def queue_order_refused(uow: PaymentUnitOfWork, order: Order, *, reason: str, refund: int, at: datetime) -> None:
    money = (
        f"The {_money(refund, order.currency)} you paid is being refunded to your card.\n"
        if refund
        else "Nothing was charged.\n"
    )
    _tell_customer(
        uow,
        order,
        fact="refused",
        topic="order_refused",
        at=at,
        write=lambda shop: (
            f"{shop} cannot fulfil order {order.number}",
            f"{shop} had to refuse your order {order.number}.\nReason: {reason}\n\n{money}",
        ),
    )


def queue_authorisation_released(uow: PaymentUnitOfWork, order: Order, *, at: datetime) -> None:
    """Said instead of a refund when the refused order's card was only authorised."""
    _tell_customer(
        uow,
        order,
        fact="authorisation_released",
        topic="authorisation_released",
        at=at,
        write=lambda shop: (
            f"{shop}: the hold on your card for order {order.number} is released",
            f"The amount reserved on your card for order {order.number} was released; nothing was charged.\n",
        ),
    )


def queue_ready_for_pickup(uow: PaymentUnitOfWork, order: Order, *, at: datetime) -> None:
    to_pay = (
        f"\nTo pay at pickup: {_money(order.total, order.currency)}\n"
        if order.payment_method == "on_pickup" and order.payment_status == "unpaid"
        else ""
    )
    _tell_customer(
        uow,
        order,
        fact="ready",
        topic="ready_for_pickup",
        at=at,
        write=lambda shop: (
            f"{shop}: order {order.number} is ready for pickup",
            f"Your order {order.number} is ready for pickup at {shop}.\n\n{_lines(order)}\n{to_pay}",
        ),
    )


def queue_refund_issued(uow: PaymentUnitOfWork, order: Order, *, amount: int, reference: str, at: datetime) -> None:
    _tell_customer(
        uow,
        order,
        fact=f"refund_issued:{reference}",
        topic="refund_issued",
        at=at,
        write=lambda shop: (
            f"{shop}: {_money(amount, order.currency)} refunded on order {order.number}",
            f"{shop} refunded {_money(amount, order.currency)} on order {order.number}. "
            "It reaches your account within a few days.\n",
        ),
    )
