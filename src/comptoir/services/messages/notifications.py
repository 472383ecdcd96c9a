"""Messages that leave the process, written to the outbox in the transaction that caused them.

Nothing is sent from a request or a webhook: a worker (`services.messages.outbox.dispatch_due`) sends
what the outbox holds, with retries. Each message has a dedupe key naming the fact it reports
(`order:{id}:receipt`), so the fact being learned twice still queues one message.

Each message is written in its recipient's language: the customer's or the merchant's own
(`users.locale`), else the service's default (`COMPTOIR_DEFAULT_LANGUAGE`), with the pages'
catalogs (`comptoir.wording`); money and dates as that language writes them, times in the shop's
time zone. A pickup order's code goes to its customer only, never in a merchant's alert.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from comptoir.domain.money import milli_to_quantity
from comptoir.records.shop import Order
from comptoir.services.ports import NewMessage, OrderContacts, UnitOfWork
from comptoir.wording import N_, Formats, spoken

NEW_PAID_ORDER = N_("New paid order")
NEW_PICKUP_ORDER = N_("New pickup order")
CARD_AUTHORISED = N_("New order (card authorised)")
AUTHORISATION_CANCELED = N_("Card authorisation canceled")
"""The merchants' alerts' headlines (their English text also names the alert in its dedupe key)."""

PAYMENT_METHOD_WORDS = {"online": N_("online"), "on_pickup": N_("at pickup")}
PAYMENT_STATUS_WORDS = {
    "unpaid": N_("Not paid"),
    "processing": N_("Payment being confirmed"),
    "paid": N_("Paid"),
    "failed": N_("Payment failed"),
    "partially_refunded": N_("Partly refunded"),
    "refunded": N_("Refunded"),
}
COUNTER_METHOD_WORDS = {"cash": N_("cash"), "card_terminal": N_("card terminal")}


class Mailer(Protocol):
    """Sends one email; raises on failure (the outbox retries). SMTP or console in `adapters.mail`."""

    def send(self, *, to: str, subject: str, body: str) -> None: ...


Write = Callable[[Formats, str], tuple[str, str]]
"""`write(words, shop_name)`: a message's subject and body in `words`' language."""
WriteWithLines = Callable[[Formats, str, str], tuple[str, str]]
"""`write(words, shop_name, lines)`: the same, given the order's lines written in that language."""


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


def words_for(uow: UnitOfWork, contacts: OrderContacts, address: str, *, zone: tzinfo | None = None) -> Formats:
    """The words of a message to `address`: their own language, else the service's default; times in
    the shop's time zone (else `zone`, else UTC)."""
    language = spoken(contacts.languages.get(address)) or spoken(uow.outbox.default_language) or "en"
    return Formats(language, _zone(contacts.time_zone, zone))


def _zone(name: str, fallback: tzinfo | None) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback or ZoneInfo("UTC")


def queue_paid_order(uow: UnitOfWork, order: Order, *, at: datetime) -> None:
    """A receipt to the customer and an alert to each of the shop's merchants."""
    _queue_customer_and_shop(
        uow,
        order,
        at=at,
        fact="receipt",
        topic="receipt",
        headline=NEW_PAID_ORDER,
        write=lambda w, shop, lines: (
            w._("%(shop)s: receipt for order %(number)s", shop=shop, number=order.number),
            _receipt_body(w, order, shop, lines) + _pickup_code(w, order),
        ),
    )


def _queue_customer_and_shop(
    uow: UnitOfWork,
    order: Order,
    *,
    at: datetime,
    fact: str,
    topic: str,
    headline: str,
    write: WriteWithLines,
) -> None:
    """The customer's message about `fact` and the alerts to the shop's merchants, queued in one statement."""
    contacts = uow.outbox.order_contacts(order.customer_id, order.shop_id)
    lines = _Lines(uow, order)
    messages = _alerts(uow, order, contacts, headline=headline, lines=lines)
    if contacts.customer:
        words = words_for(uow, contacts, contacts.customer)
        subject, body = write(words, contacts.shop_name, lines.written(words))
        messages.insert(0, NewMessage(f"order:{order.id}:{fact}", topic, contacts.customer, subject, body, order.id))
    uow.outbox.add_if_new(messages, at=at)


def queue_merchant_alert(uow: UnitOfWork, order: Order, *, at: datetime, headline: str) -> None:
    """An alert to each of the shop's merchants; `headline` is one of this module's (NEW_PAID_ORDER, …)."""
    contacts = uow.outbox.order_contacts(order.customer_id, order.shop_id)
    if not contacts.merchants:
        return
    uow.outbox.add_if_new(_alerts(uow, order, contacts, headline=headline, lines=_Lines(uow, order)), at=at)


def _alerts(
    uow: UnitOfWork, order: Order, contacts: OrderContacts, *, headline: str, lines: _Lines
) -> list[NewMessage]:
    alerts = []
    for address in contacts.merchants:
        w = words_for(uow, contacts, address)
        said = w._(headline)
        method = w._(PAYMENT_METHOD_WORDS.get(order.payment_method, order.payment_method))
        status = w._(PAYMENT_STATUS_WORDS.get(order.payment_status, order.payment_status))
        alerts.append(
            NewMessage(
                dedupe_key=f"order:{order.id}:alert:{headline}:{address}",
                topic="merchant_alert",
                recipient=address,
                subject=w._(
                    "%(headline)s: %(number)s (%(amount)s)",
                    headline=said,
                    number=order.number,
                    amount=w.money(order.total, order.currency),
                ),
                body=(
                    w._("%(headline)s for %(shop)s.", headline=said, shop=contacts.shop_name)
                    + f"\n\n{lines.written(w)}\n\n"
                    + w._("Payment: %(method)s, %(status)s.", method=method, status=status)
                    + "\n"
                ),
                order_id=order.id,
            )
        )
    return alerts


def queue_payment_failed(uow: UnitOfWork, order: Order, *, attempt_ref: str, at: datetime) -> None:
    _tell_customer(
        uow,
        order,
        fact=f"payment_failed:{attempt_ref}",
        topic="payment_failed",
        at=at,
        write=lambda w, shop: (
            w._("%(shop)s: the payment for order %(number)s failed", shop=shop, number=order.number),
            w._(
                "Your bank did not complete the payment of %(amount)s for order %(number)s. Nothing was charged. "
                "You can pay again from your order page while it is held.",
                amount=w.money(order.total, order.currency),
                number=order.number,
            )
            + "\n",
        ),
    )


def _tell_customer(
    uow: UnitOfWork,
    order: Order,
    *,
    fact: str,
    topic: str,
    at: datetime,
    write: Write,
) -> None:
    """Queue one message to the order's customer about `fact` (once per order and fact), in their language."""
    contacts = uow.outbox.order_contacts(order.customer_id, order.shop_id)
    if not contacts.customer:
        return
    subject, body = write(words_for(uow, contacts, contacts.customer), contacts.shop_name)
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


class _Lines:
    """An order's lines, read once, written in each recipient's language."""

    def __init__(self, uow: UnitOfWork, order: Order) -> None:
        self._lines = uow.orders.line_summaries(order)
        self._currency = order.currency

    def written(self, w: Formats) -> str:
        return "\n".join(
            "  "
            + w._(
                "%(quantity)s × %(name)s: %(amount)s",
                quantity=w.quantity(milli_to_quantity(line.quantity_milli), line.unit),
                name=line.name,
                amount=w.money(line.line_total, self._currency),
            )
            for line in self._lines
        )


def _receipt_body(w: Formats, order: Order, shop_name: str, lines: str) -> str:
    return (
        w._("Thank you for your order at %(shop)s.", shop=shop_name)
        + "\n\n"
        + w._("Order %(number)s", number=order.number)
        + f"\n{lines}\n\n"
        + w._("Total paid: %(amount)s", amount=w.money(order.total, order.currency))
        + "\n"
    )


def _pickup_code(w: Formats, order: Order) -> str:
    """For a pickup order's customer only: the code they give at the counter."""
    if order.pickup_code is None:
        return ""
    return "\n" + w._("Give this code at the counter: %(code)s", code=order.pickup_code) + "\n"


# --- the merchant workflow (pay at pickup, refusal, ready, refunds) --------------------------------


def queue_pickup_order(uow: UnitOfWork, order: Order, *, at: datetime) -> None:
    """A pay-at-pickup order was placed: the customer's confirmation and the shop's alert, at once."""
    _queue_customer_and_shop(
        uow,
        order,
        at=at,
        fact="pickup_confirmed",
        topic="order_confirmed",
        headline=NEW_PICKUP_ORDER,
        write=lambda w, shop, lines: (
            w._("%(shop)s: order %(number)s confirmed, pay at pickup", shop=shop, number=order.number),
            w._("%(shop)s received your order %(number)s.", shop=shop, number=order.number)
            + f"\n\n{lines}\n\n"
            + w._("Total to pay at pickup: %(amount)s", amount=w.money(order.total, order.currency))
            + "\n"
            + _pickup_code(w, order),
        ),
    )


def queue_counter_receipt(uow: UnitOfWork, order: Order, *, method: str, at: datetime) -> None:
    lines = _Lines(uow, order)
    _tell_customer(
        uow,
        order,
        fact="receipt",
        topic="receipt",
        at=at,
        write=lambda w, shop: (
            w._("%(shop)s: receipt for order %(number)s", shop=shop, number=order.number),
            _receipt_body(w, order, shop, lines.written(w))
            + w._("Paid at pickup (%(method)s).", method=w._(COUNTER_METHOD_WORDS.get(method, method)))
            + "\n",
        ),
    )


def queue_order_refused(uow: UnitOfWork, order: Order, *, reason: str, refund: int, at: datetime) -> None:
    def money(w: Formats) -> str:
        if refund:
            return w._(
                "The %(amount)s you paid is being refunded to your card.", amount=w.money(refund, order.currency)
            )
        return w._("Nothing was charged.")

    _tell_customer(
        uow,
        order,
        fact="refused",
        topic="order_refused",
        at=at,
        write=lambda w, shop: (
            w._("%(shop)s cannot fulfil order %(number)s", shop=shop, number=order.number),
            w._("%(shop)s had to refuse your order %(number)s.", shop=shop, number=order.number)
            + "\n"
            + w._("Reason: %(reason)s", reason=reason)
            + f"\n\n{money(w)}\n",
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
        write=lambda w, shop: (
            w._("%(shop)s: the hold on your card for order %(number)s is released", shop=shop, number=order.number),
            w._(
                "The amount reserved on your card for order %(number)s was released; nothing was charged.",
                number=order.number,
            )
            + "\n",
        ),
    )


def queue_ready_for_pickup(uow: UnitOfWork, order: Order, *, at: datetime, again: bool = False) -> None:
    """Once per order; `again` (the counter's "send again") once more per minute, so a double tap sends one."""
    lines = _Lines(uow, order)

    def to_pay(w: Formats) -> str:
        if order.payment_method == "on_pickup" and order.payment_status == "unpaid":
            return "\n" + w._("To pay at pickup: %(amount)s", amount=w.money(order.total, order.currency)) + "\n"
        return ""

    _tell_customer(
        uow,
        order,
        fact=f"ready-again:{at:%Y%m%dT%H%M}" if again else "ready",
        topic="ready_for_pickup",
        at=at,
        write=lambda w, shop: (
            w._("%(shop)s: order %(number)s is ready for pickup", shop=shop, number=order.number),
            w._("Your order %(number)s is ready for pickup at %(shop)s.", number=order.number, shop=shop)
            + f"\n\n{lines.written(w)}\n"
            + to_pay(w)
            + _pickup_code(w, order),
        ),
    )


def queue_refund_issued(uow: UnitOfWork, order: Order, *, amount: int, reference: str, at: datetime) -> None:
    _tell_customer(
        uow,
        order,
        fact=f"refund_issued:{reference}",
        topic="refund_issued",
        at=at,
        write=lambda w, shop: (
            w._(
                "%(shop)s: %(amount)s refunded on order %(number)s",
                shop=shop,
                amount=w.money(amount, order.currency),
                number=order.number,
            ),
            w._(
                "%(shop)s refunded %(amount)s on order %(number)s. It reaches your account within a few days.",
                shop=shop,
                amount=w.money(amount, order.currency),
                number=order.number,
            )
            + "\n",
        ),
    )
