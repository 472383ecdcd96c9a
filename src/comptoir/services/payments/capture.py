"""Weighed goods: capturing the weighed amount of an authorised card payment, or releasing it.

A shop with `capture_manually` has online payments authorise the order total plus its margin
(`domain.payments.authorised_amount`); the order is confirmed with payment `processing` and the
attempt `authorized`. When the merchant marks it ready with the weighed quantities,
`capture_weighed` prices the final lines on the server (half-up once per line, as
`domain.money.line_total`), refuses more than was authorised (409), writes the final lines and
total on the order (so the receipt and the `payment_intent.succeeded` webhook both see the
final amount), captures that amount with the key `order:{id}:capture:{amount}`, and records the
captured money in the ledger. Refusing an authorised order releases the authorisation
(`merchant_refunds.refuse`).

Like checkout, each use case is two short transactions around one provider call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from comptoir.domain.actors import Actor
from comptoir.domain.catalog import PaymentMethod, Unit
from comptoir.domain.errors import Conflict, InvalidInput, NotFound
from comptoir.domain.money import MILLI, line_total, quantity_to_milli
from comptoir.domain.orders import OrderStatus, PaymentStatus
from comptoir.domain.payments import AttemptState, Keys
from comptoir.records.payments import PaymentAttempt
from comptoir.records.shop import Order
from comptoir.services.payments import fulfilment, ledger
from comptoir.services.payments.provider import PaymentGateway, PaymentIntentUnexpectedState, holding_intent_id
from comptoir.services.ports import HistoryChange, UnitOfWork


@dataclass(frozen=True, slots=True)
class FinalLine:
    line_id: int
    quantity: Decimal | int | str


@dataclass(frozen=True, slots=True)
class CaptureResult:
    order_id: str
    outcome: str  # captured | weighed (to pay at the counter) | unchanged (nothing authorised to capture)
    amount: int
    authorised: int
    payment_intent_id: str | None


def _lines_of(final_lines: Iterable[FinalLine | Mapping[str, object]]) -> list[FinalLine]:
    parsed = []
    for line in final_lines:
        if isinstance(line, FinalLine):
            parsed.append(line)
        else:
            parsed.append(FinalLine(int(str(line["line_id"])), str(line["quantity"])))
    return parsed


def authorised_attempt(uow: UnitOfWork, order_id: str) -> PaymentAttempt | None:
    """The order's card authorisation awaiting capture, if any."""
    return next(
        (a for a in reversed(uow.payments.attempts(order_id)) if a.state == AttemptState.AUTHORIZED and a.provider_id),
        None,
    )


def capture_weighed(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    actor: Actor,
    order_id: str,
    final_lines: Iterable[FinalLine | Mapping[str, object]] | None,
    now: datetime,
) -> CaptureResult:
    """Capture the weighed amount of the order's authorisation (merchants of its shop only, else 404).

    `final_lines` names lines by id with their weighed quantity; lines not named keep what was
    ordered. Without an authorisation there is nothing to capture ("unchanged"): the caller
    (the merchant's `ready`) goes on as usual. A pay-at-pickup order not paid yet is weighed the same
    way ("weighed"): its lines and total follow the scale, with no ceiling, and the counter takes that.
    """
    finals = _lines_of(final_lines or ())
    with uow:
        order = uow.orders.get_for_update(order_id)
        if order is None or not actor.is_merchant_of(order.shop_id):
            raise NotFound(f"no order {order_id}", code="order_not_found")
        attempt = authorised_attempt(uow, order.id)
        if attempt is None and finals and weighable_at_pickup(order):
            # Paid at the counter: the total follows the scale, and the customer pays it there.
            amount = _apply_final_lines(uow, order, finals, None, actor=actor, now=now)
            uow.commit()
            return CaptureResult(order.id, "weighed", amount, 0, None)
        if attempt is None:
            current = {line.id: line.quantity_milli for line in order.lines}
            if any(current.get(final.line_id) != quantity_to_milli(final.quantity) for final in finals):
                # A retried ready with the same weights is fine; new weights after capture are not.
                raise Conflict(
                    "weighed quantities can only be given for an order whose card payment awaits capture",
                    code="nothing_to_capture",
                )
            return CaptureResult(order.id, "unchanged", order.total, 0, None)
        authorised = attempt.amount or order.total
        amount = _apply_final_lines(uow, order, finals, authorised, actor=actor, now=now)
        provider_id, attempt_id, key = attempt.provider_id, attempt.id, Keys.capture(order.id, amount)
        kind = attempt.kind
        assert provider_id is not None
        uow.commit()

    intent_id = holding_intent_id(gateway, kind, provider_id)
    try:
        intent = gateway.capture_payment_intent(intent_id, amount_to_capture=amount, idempotency_key=key)
    except PaymentIntentUnexpectedState:
        intent = gateway.retrieve_payment_intent(intent_id)  # captured already (a retry): record what was taken
    if intent.status != "succeeded":
        raise Conflict(f"the card payment could not be captured (it is {intent.status})", code="capture_failed")

    with uow:
        order = uow.orders.get_for_update(order_id)
        assert order is not None
        attempt = next((a for a in uow.payments.attempts(order_id) if a.id == attempt_id), None)
        if attempt is not None:
            ledger.advance_attempt(attempt, AttemptState.SUCCEEDED, now)
        fulfilment.apply_payment_received(
            uow,
            order,
            amount=intent.amount_received,
            external_id=intent.id,
            reference=f"capture {intent.id}",
            actor=actor,
            now=now,
        )
        uow.commit()
    return CaptureResult(order_id, "captured", intent.amount_received, authorised, intent.id)


def price_final_lines(order: Order, finals: Iterable[FinalLine]) -> tuple[dict[int, int], dict[int, int]]:
    """Each line's weighed quantity (milli) and its total, half-up once per line; lines not named keep
    what was ordered. Writes nothing: the weigh dialog shows the new total with it before confirming."""
    by_id = {line.id: line for line in order.lines}
    quantities = {line.id: line.quantity_milli for line in order.lines}
    for final in finals:
        line = by_id.get(final.line_id)
        if line is None:
            raise InvalidInput(f"order {order.number} has no line {final.line_id}", code="unknown_line")
        milli = quantity_to_milli(final.quantity)
        if milli <= 0:
            raise InvalidInput("a weighed quantity must be more than zero", code="invalid_quantity")
        if Unit(line.unit) is Unit.PIECE and milli % MILLI:
            raise InvalidInput(f"{line.name} is sold by the piece: whole quantities only", code="invalid_quantity")
        quantities[line.id] = milli
    return quantities, {line.id: line_total(line.unit_price, quantities[line.id]) for line in order.lines}


def weighable_at_pickup(order: Order) -> bool:
    """A pay-at-pickup order not paid yet nor handed over: weighing sets the total the counter takes."""
    return (
        order.payment_method == PaymentMethod.ON_PICKUP.value
        and order.payment_status == PaymentStatus.UNPAID.value
        and order.status in (OrderStatus.CONFIRMED.value, OrderStatus.READY.value)
    )


def _apply_final_lines(
    uow: UnitOfWork, order: Order, finals: list[FinalLine], authorised: int | None, *, actor: Actor, now: datetime
) -> int:
    """Price the weighed lines, refuse more than the authorisation (None: paid at the counter, no
    ceiling), and write them on the order; the stock held for a line follows its weight (less weighed:
    returned; more: taken, or flagged when the books say there is not that much)."""
    quantities, totals = price_final_lines(order, finals)
    amount = sum(totals.values())
    if authorised is not None and amount > authorised:
        raise Conflict(
            f"the weighed total {amount} is more than the {authorised} authorised on the customer's card",
            code="capture_exceeds_authorisation",
            amount=amount,
            authorised=authorised,
        )
    if amount != order.total or any(quantities[line.id] != line.quantity_milli for line in order.lines):
        previous = order.total
        for line in order.lines:
            _follow_weight(uow, order, line.product_id, quantities[line.id] - line.quantity_milli, now)
            line.quantity_milli = quantities[line.id]
            line.line_total = totals[line.id]
        order.total = amount
        order.updated_at = now
        change = HistoryChange("total", str(previous), str(amount), actor.label, now, "weighed by the merchant")
        uow.orders.add_history(order, change)
    return amount


def _follow_weight(uow: UnitOfWork, order: Order, product_id: int, delta: int, now: datetime) -> None:
    if delta == 0 or order.stock_released_at is not None:
        return
    if delta < 0:
        uow.products.return_stock(product_id, -delta)
    elif not uow.products.take_stock(product_id, delta):
        ledger.flag_for_review(
            uow,
            order,
            code="weighed_beyond_stock",
            detail=f"product {product_id}: {delta} thousandths more were weighed than the stock count holds",
            reference=f"{order.id}:{product_id}",
            at=now,
        )
