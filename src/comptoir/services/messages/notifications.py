"""Messages that leave the process, written to the outbox in the transaction that caused them.

Nothing is sent from a request or a webhook: a worker (`services.messages.outbox.dispatch_due`) sends
what the outbox holds, with retries. Each message has a dedupe key naming the fact it reports
(`order:{id}:receipt`), so the fact being learned twice still queues one message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from comptoir.domain.money import Money, milli_to_quantity
from comptoir.records.shop import Order
from comptoir.services.ports import NewMessage, UnitOfWork


class Mailer(Protocol):
    """Sends one email; raises on failure (the outbox retries). SMTP or console in `adapters.mail`."""

    def send(self, *, to: str, subject: str, body: str) -> None: ...


def queue(
    uow: UnitOfWork,
    *,
    dedupe_key: str,
    topic: str,
    recipient: str,
    subject: str,
    body: str,
    order_id: str | None,
    at: datetime,
) -> bool:
    message = NewMessage(dedupe_key, topic, recipient, subject, body, order_id)
    return uow.outbox.add_if_new([message], at=at) == 1


def queue_paid_order(uow: UnitOfWork, order: Order, *, at: datetime) -> None:
    """A receipt to the customer and an alert to each of the shop's merchants."""
    _queue_customer_and_shop(
        uow,
        order,
        at=at,
        fact="receipt",
        topic="receipt",
        headline="New paid order",
        write=lambda shop, lines: (f"{shop}: receipt for order {order.number}", _receipt_body(order, shop, lines)),
    )


def _queue_customer_and_shop(
    uow: UnitOfWork,
    order: Order,
    *,
    at: datetime,
    fact: str,
    topic: str,
    headline: str,
    write: Callable[[str, str], tuple[str, str]],
) -> None:
    """The customer's message about `fact` (`write(shop_name, lines)` gives its subject and body)
    and the alerts to the shop's merchants, queued in one statement."""
    contacts = uow.outbox.order_contacts(order.customer_id, order.shop_id)
    lines = _lines(uow, order)
    messages = _alerts(
        order, headline=headline, shop_name=contacts.shop_name, addresses=contacts.merchants, lines=lines
    )
    if contacts.customer:
        subject, body = write(contacts.shop_name, lines)
        messages.insert(0, NewMessage(f"order:{order.id}:{fact}", topic, contacts.customer, subject, body, order.id))
    uow.outbox.add_if_new(messages, at=at)


def queue_merchant_alert(uow: UnitOfWork, order: Order, *, at: datetime, headline: str) -> None:
    contacts = uow.outbox.order_contacts(order.customer_id, order.shop_id)
    if not contacts.merchants:
        return
    alerts = _alerts(
        order, headline=headline, shop_name=contacts.shop_name, addresses=contacts.merchants, lines=_lines(uow, order)
    )
    uow.outbox.add_if_new(alerts, at=at)


def _alerts(order: Order, *, headline: str, shop_name: str, addresses: Sequence[str], lines: str) -> list[NewMessage]:
    return [
        NewMessage(
            dedupe_key=f"order:{order.id}:alert:{headline}:{address}",
            topic="merchant_alert",
            recipient=address,
            subject=f"{headline}: {order.number} ({_money(order.total, order.currency)})",
            body=(
                f"{headline} for {shop_name}.\n\n{lines}\n\nPayment: {order.payment_method}, {order.payment_status}.\n"
            ),
            order_id=order.id,
        )
        for address in addresses
    ]


def queue_payment_failed(uow: UnitOfWork, order: Order, *, attempt_ref: str, at: datetime) -> None:
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
    uow: UnitOfWork,
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


def _lines(uow: UnitOfWork, order: Order) -> str:
    return "\n".join(
        f"  {milli_to_quantity(line.quantity_milli).normalize():f} {line.unit} x {line.name}: "
        f"{_money(line.line_total, order.currency)}"
        for line in uow.orders.line_summaries(order)
    )


def _receipt_body(order: Order, shop_name: str, lines: str) -> str:
    return (
        f"Thank you for your order at {shop_name}.\n\nOrder {order.number}\n{lines}\n\n"
        f"Total paid: {_money(order.total, order.currency)}\n"
    )


# --- the merchant workflow (pay at pickup, refusal, ready, refunds) --------------------------------


def queue_pickup_order(uow: UnitOfWork, order: Order, *, at: datetime) -> None:
    """A pay-at-pickup order was placed: the customer's confirmation and the shop's alert, at once."""
    _queue_customer_and_shop(
        uow,
        order,
        at=at,
        fact="pickup_confirmed",
        topic="order_confirmed",
        headline="New pickup order",
        write=lambda shop, lines: (
            f"{shop}: order {order.number} confirmed, pay at pickup",
            f"{shop} received your order {order.number}.\n\n{lines}\n\n"
            f"Total to pay at pickup: {_money(order.total, order.currency)}\n",
        ),
    )


def queue_counter_receipt(uow: UnitOfWork, order: Order, *, method: str, at: datetime) -> None:
    _tell_customer(
        uow,
        order,
        fact="receipt",
        topic="receipt",
        at=at,
        write=lambda shop: (
            f"{shop}: receipt for order {order.number}",
            _receipt_body(order, shop, _lines(uow, order)) + f"Paid at pickup ({method.replace('_', ' ')}).\n",
        ),
    )


def queue_order_refused(uow: UnitOfWork, order: Order, *, reason: str, refund: int, at: datetime) -> None:
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


def queue_authorisation_released(uow: UnitOfWork, order: Order, *, at: datetime) -> None:
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


def queue_ready_for_pickup(uow: UnitOfWork, order: Order, *, at: datetime, again: bool = False) -> None:
    """Once per order; `again` (the counter's "send again") once more per minute, so a double tap sends one."""
    to_pay = (
        f"\nTo pay at pickup: {_money(order.total, order.currency)}\n"
        if order.payment_method == "on_pickup" and order.payment_status == "unpaid"
        else ""
    )
    _tell_customer(
        uow,
        order,
        fact=f"ready-again:{at:%Y%m%dT%H%M}" if again else "ready",
        topic="ready_for_pickup",
        at=at,
        write=lambda shop: (
            f"{shop}: order {order.number} is ready for pickup",
            f"Your order {order.number} is ready for pickup at {shop}.\n\n{_lines(uow, order)}\n{to_pay}",
        ),
    )


def queue_refund_issued(uow: UnitOfWork, order: Order, *, amount: int, reference: str, at: datetime) -> None:
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
