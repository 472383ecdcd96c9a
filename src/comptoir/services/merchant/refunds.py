"""Refunds a merchant makes, and refusing an order (cancel, release stock, give the money back).

Each refund is two short transactions around one provider call (as `checkout.start_checkout`):

1. Under the order's row lock: check what is refundable — the ledger's net payment minus the
   refunds already requested and not yet answered — and reserve a `RefundRequest` with the next
   number and its deterministic idempotency key (`order:{id}:refund:{n}`; a refusal uses
   `order:{id}:refund:refuse`). Commit. Two concurrent refunds serialise here, so their sum can
   never exceed what was paid.
2. Call the provider with that key (no lock held).
3. Under the lock again: store the answer and bring the ledger in line through
   `refunds.sync_refunds` — the same function the `refund.*` / `charge.refunded` webhooks use, so
   whichever lands first records the refund and the other is a no-op, and a refund that is
   pending (card 4000000000007726) or fails later (4000000000005126) ends right when its webhook
   arrives.

A request whose answer was never stored (a crash or a network failure after step 1) stays
reserved; the next refund or refusal of that order re-sends it with the same key and parameters
once it is `STALE_AFTER` old, which Stripe answers with the same refund.

Money taken at the counter is given back at the counter: such a refund is recorded in the ledger
at once under the request's own key, with no provider call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from comptoir.domain.actors import Actor
from comptoir.domain.errors import Conflict, InvalidInput, UpstreamUnavailable
from comptoir.domain.ledger import EntryKind
from comptoir.domain.money import line_total, milli_to_quantity, quantity_to_milli
from comptoir.domain.orders import REFUSED_BY_THE_SHOP, OrderStatus
from comptoir.domain.payments import AttemptKind, AttemptState, Keys, provider_kind
from comptoir.records.refunds import RefundRequest
from comptoir.records.shop import Order
from comptoir.services import order_state
from comptoir.services.merchant.workflow import MerchantOrderView, merchant_order, order_view
from comptoir.services.messages import notifications
from comptoir.services.payments import duplicates, ledger, paths, refunds
from comptoir.services.payments.provider import PaymentGateway
from comptoir.services.ports import UnitOfWork

STALE_AFTER = timedelta(minutes=2)
"""A reserved refund older than this with no stored answer is re-sent (longer than the SDK's
timeout × retries, so a call still in flight is not doubled — and if it were, the key makes the
provider answer the same refund)."""
STRIPE_REASON = "requested_by_customer"
SYSTEM_REFUND_SYNC = Actor.system("refund_sync")
REFUSE_NUMBER = 0


@dataclass(frozen=True, slots=True)
class RefundLine:
    line_id: int
    quantity: Decimal | int | str | None = None  # None: the whole line


@dataclass(frozen=True, slots=True)
class RefundCommand:
    reason: str
    amount: int | None = None
    lines: Sequence[RefundLine] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class _Call:
    """A reserved refund to send to the provider."""

    key: str
    payment_intent_id: str
    amount: int
    reason: str
    order_id: str
    number: int


def refund(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    actor: Actor,
    order_id: str,
    command: RefundCommand,
    *,
    now: datetime,
) -> MerchantOrderView:
    """Refund `amount`, or the sum of `lines` (a partial quantity rounded half-up), never above what
    is refundable (409 `refund_exceeds_refundable`, with `refundable`)."""
    reason = _checked(command)
    _catch_up(uow, gateway, actor, order_id, now)
    with uow:
        order = merchant_order(uow, actor, order_id, lock=True)
        amount, lines = (
            (command.amount, None) if command.amount is not None else _lines_amount(uow, order, command.lines)
        )
        assert amount is not None
        call = _reserve(uow, order, actor, amount=amount, reason=reason, lines=lines, number=None, now=now)
        view = order_view(uow, order)
        uow.commit()
    if call is None:
        return view
    return _send(uow, gateway, actor, call, now=now, notify=True)


def refund_amount(uow: UnitOfWork, actor: Actor, order_id: str, command: RefundCommand) -> int:
    """What `refund` would give back for `command`, checked the same way, without reserving or
    sending anything: the amount a confirmation step shows."""
    _checked(command)
    with uow:
        order = merchant_order(uow, actor, order_id, lock=False)
        amount = command.amount if command.amount is not None else _lines_amount(uow, order, command.lines)[0]
        _check_available(uow, order, amount)
        return amount


def refuse(
    uow: UnitOfWork, gateway: PaymentGateway, actor: Actor, order_id: str, *, reason: str, now: datetime
) -> MerchantOrderView:
    """The shop cannot fulfil the order: cancelled, stock released, the customer told, and whatever
    was paid refunded in full (or a card authorisation cancelled). Refusing again finishes what an
    interrupted refusal left undone and answers the order as it is."""
    reason = _reason(reason)
    _catch_up(uow, gateway, actor, order_id, now)
    with uow:
        order = _refusable(uow, actor, order_id)
        to_close = [] if order.status == OrderStatus.CANCELLED.value else paths.open_paths(uow, order)
    # Before the order is cancelled, nothing may be left open to pay it; a path that turns out paid
    # is recorded here, so the refund below covers it.
    paths.close_payment_paths(uow, gateway, to_close, actor=actor, now=now)
    with uow:
        order = _refusable(uow, actor, order_id)
        if order.status != OrderStatus.CANCELLED.value:
            order_state.cancel(uow, order, actor=actor, at=now, reason=f"{REFUSED_BY_THE_SHOP}{reason}")
        call = None
        earlier = uow.merchant.refund_request(Keys.refusal_refund(order.id))
        available = _available(uow, order)
        if available > 0 and (earlier is None or earlier.state == "failed"):
            # A refusal's refund the provider turned down is retried under the next refund number.
            number = REFUSE_NUMBER if earlier is None else None
            call = _reserve(uow, order, actor, amount=available, reason=reason, lines=None, number=number, now=now)
        authorised = [a.id for a in uow.payments.attempts(order.id) if a.state == AttemptState.AUTHORIZED]
        refunded = call.amount if call is not None else (earlier.amount if earlier is not None else 0)
        notifications.queue_order_refused(uow, order, reason=reason, refund=refunded, at=now)
        view = order_view(uow, order)
        uow.commit()
    for attempt_id in authorised:
        _cancel_authorisation(uow, gateway, actor, order_id, attempt_id, now=now)
    if call is not None:
        view = _send(uow, gateway, actor, call, now=now, notify=False)
    elif authorised:
        with uow:
            view = order_view(uow, merchant_order(uow, actor, order_id, lock=False))
    return view


def _refusable(uow: UnitOfWork, actor: Actor, order_id: str) -> Order:
    order = merchant_order(uow, actor, order_id, lock=True)
    if order.status == OrderStatus.COMPLETED.value:
        raise Conflict(f"order {order.number} was already handed over; refund it instead", code="order_completed")
    return order


def _reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned:
        raise InvalidInput("say why (the customer is told)", code="reason_required")
    return cleaned[:500]


def _checked(command: RefundCommand) -> str:
    """The command's reason, cleaned, once the command names an amount or lines (not both)."""
    reason = _reason(command.reason)
    if (command.amount is None) == (not command.lines):
        raise InvalidInput("send either amount or lines", code="refund_amount_or_lines")
    if command.amount is not None and command.amount <= 0:
        raise InvalidInput("a refund amount is a positive number of minor units", code="invalid_refund_amount")
    return reason


def _check_available(uow: UnitOfWork, order: Order, amount: int) -> None:
    available = _available(uow, order)
    if amount > available:
        raise Conflict(
            f"{amount} is more than is left to refund on order {order.number} ({available})",
            code="refund_exceeds_refundable",
            refundable=max(available, 0),
            requested=amount,
        )


def _available(uow: UnitOfWork, order: Order) -> int:
    """Refundable now: the ledger's net payment minus refunds asked for but not yet answered."""
    in_flight = sum(r.amount for r in uow.merchant.refund_requests(order.id) if r.state == "creating")
    return ledger.refundable_amount(uow, order.id) - in_flight


def _lines_amount(uow: UnitOfWork, order: Order, requested: Sequence[RefundLine]) -> tuple[int, list[dict[str, int]]]:
    """The sum of the named lines at their price, a partial quantity rounded half-up; a line is never
    refunded for more than its quantity across all refunds."""
    by_id = {line.id: line for line in order.lines}
    already: dict[int, int] = {}
    for r in uow.merchant.refund_requests(order.id):
        if r.state != "failed":
            for earlier in r.lines or ():
                already[earlier["line_id"]] = already.get(earlier["line_id"], 0) + earlier["quantity_milli"]
    seen: set[int] = set()
    chosen: list[dict[str, int]] = []
    for item in requested:
        line = by_id.get(item.line_id)
        if line is None:
            raise InvalidInput(
                f"order {order.number} has no line {item.line_id}", code="unknown_line", line_id=item.line_id
            )
        if item.line_id in seen:
            raise InvalidInput("name each line once", code="duplicate_line", line_id=item.line_id)
        seen.add(item.line_id)
        quantity = line.quantity_milli if item.quantity is None else quantity_to_milli(item.quantity)
        left = line.quantity_milli - already.get(line.id, 0)
        if quantity <= 0:
            raise InvalidInput("a refunded quantity is positive", code="invalid_refund_quantity", line_id=line.id)
        if quantity > left:
            raise Conflict(
                f"only {milli_to_quantity(left)} {line.unit} of {line.name} is left to refund",
                code="refund_exceeds_line",
                line_id=line.id,
                left=str(milli_to_quantity(left)),
            )
        amount = line.line_total if quantity == line.quantity_milli else line_total(line.unit_price, quantity)
        chosen.append({"line_id": line.id, "quantity_milli": quantity, "amount": amount})
    return sum(item["amount"] for item in chosen), chosen


def _reserve(
    uow: UnitOfWork,
    order: Order,
    actor: Actor,
    *,
    amount: int,
    reason: str,
    lines: list[dict[str, int]] | None,
    number: int | None,
    now: datetime,
) -> _Call | None:
    """Check and reserve under the order lock. Returns the provider call to make, or None when the
    refund was money handed back at the counter (recorded here at once)."""
    _check_available(uow, order, amount)
    existing = uow.merchant.refund_requests(order.id)
    if number is None:
        number = max((r.number for r in existing), default=REFUSE_NUMBER) + 1
    key = Keys.refusal_refund(order.id) if number == REFUSE_NUMBER else Keys.refund(order.id, number)
    intent = _payment_to_refund(uow, order, existing, amount)
    request = uow.merchant.add_refund_request(
        RefundRequest(
            order_id=order.id,
            number=number,
            idempotency_key=key,
            payment_intent_id=intent,
            amount=amount,
            currency=order.currency,
            reason=reason,
            lines=lines,
            state="creating",
            actor=actor.label,
            created_at=now,
            updated_at=now,
        )
    )
    if intent is not None:
        return _Call(key, intent, amount, reason, order.id, number)
    # Cash back at the counter: no provider, recorded now.
    request.state = "created"
    request.provider_status = "succeeded"
    ledger.record_entry(
        uow, order, EntryKind.REFUND, amount=amount, external_id=key, source="merchant", at=now, reason=reason
    )
    ledger.sync_payment_status(uow, order, actor=actor, at=now, reason=f"refunded at the counter: {reason}")
    return None


def _payment_to_refund(uow: UnitOfWork, order: Order, existing: list[RefundRequest], amount: int) -> str | None:
    """The PaymentIntent to refund from (None: the counter payment). Usually the order's only
    payment; with several, the first with enough left by our own refunds of it."""
    online = [
        e
        for e in uow.payments.ledger(order.id)
        if e.kind == EntryKind.PAYMENT.value and not e.external_id.startswith("counter:")
    ]
    if not online:
        return None
    for entry in online:
        spent = sum(r.amount for r in existing if r.payment_intent_id == entry.external_id and r.state != "failed")
        if entry.amount - spent >= amount:
            return entry.external_id
    raise Conflict(
        "this order was paid in several payments and no single one has that much left; refund in parts",
        code="refund_spans_payments",
    )


def _send(
    uow: UnitOfWork, gateway: PaymentGateway, actor: Actor, call: _Call, *, now: datetime, notify: bool
) -> MerchantOrderView:
    try:
        result = gateway.create_refund(
            call.payment_intent_id,
            call.amount,
            STRIPE_REASON,
            {"order_id": call.order_id, "refund_number": str(call.number), "reason": call.reason[:500]},
            idempotency_key=call.key,
        )
    except UpstreamUnavailable as exc:
        if exc.code != "provider_refused":
            raise  # outcome unknown: the request stays reserved and is re-sent later with the same key
        with uow:
            order = uow.orders.get_for_update(call.order_id)
            request = uow.merchant.refund_request(call.key)
            assert order is not None and request is not None
            request.state, request.error, request.updated_at = "failed", exc.detail[:2000], now
            uow.commit()
        raise Conflict(f"the payment provider refused the refund: {exc.detail}", code="refund_refused") from exc
    with uow:
        order = uow.orders.get_for_update(call.order_id)
        request = uow.merchant.refund_request(call.key)
        assert order is not None and request is not None
        if request.state == "creating":
            request.state, request.provider_id, request.provider_status, request.updated_at = (
                "created",
                result.id,
                result.status,
                now,
            )
        refunds.sync_refunds(uow, call.payment_intent_id, [result], actor=actor, now=now)
        if notify and result.counts:
            notifications.queue_refund_issued(uow, order, amount=call.amount, reference=str(call.number), at=now)
        view = order_view(uow, order)
        uow.commit()
        return view


def _catch_up(uow: UnitOfWork, gateway: PaymentGateway, actor: Actor, order_id: str, now: datetime) -> None:
    """Before deciding what is refundable: re-send reservations left unanswered, and bring the ledger
    in line with the provider's refunds (one made in the Stripe Dashboard whose webhook has not
    arrived yet would otherwise make ours fail). Also checks the actor may see the order."""
    with uow:
        order = merchant_order(uow, actor, order_id, lock=False)
        requests = uow.merchant.refund_requests(order.id)
        stale = [
            _Call(r.idempotency_key, r.payment_intent_id, r.amount, r.reason, order.id, r.number)
            for r in requests
            if r.state == "creating" and r.payment_intent_id is not None and r.created_at <= now - STALE_AFTER
        ]
        intents = [
            e.external_id
            for e in uow.payments.ledger(order.id)
            if e.kind == EntryKind.PAYMENT.value and provider_kind(e.external_id) is AttemptKind.PAYMENT_INTENT
        ]
    for call in stale:
        _send(uow, gateway, actor, call, now=now, notify=call.number != REFUSE_NUMBER)
    for intent in intents:
        provider_refunds = gateway.list_refunds(intent)
        with uow:
            refunds.sync_refunds(uow, intent, provider_refunds, actor=SYSTEM_REFUND_SYNC, now=now)
            uow.commit()


def _cancel_authorisation(
    uow: UnitOfWork, gateway: PaymentGateway, actor: Actor, order_id: str, attempt_id: int, *, now: datetime
) -> None:
    """Release a card authorisation (manual capture) of a refused order; nothing was charged."""
    with uow:
        attempt = next((a for a in uow.payments.attempts(order_id) if a.id == attempt_id), None)
        if attempt is None or attempt.state != AttemptState.AUTHORIZED or attempt.provider_id is None:
            return
        kind, provider_id, number = attempt.kind, attempt.provider_id, attempt.number
    key = Keys.authorisation_cancel(order_id, number)
    intent = duplicates.release_hold(gateway, kind, provider_id, idempotency_key=key)
    with uow:
        order = uow.orders.get_for_update(order_id)
        attempt = next((a for a in uow.payments.attempts(order_id) if a.id == attempt_id), None)
        assert order is not None and attempt is not None
        if intent.status == "canceled":
            ledger.advance_attempt(attempt, AttemptState.CANCELED, now)
            ledger.sync_payment_status(uow, order, actor=actor, at=now, reason="card authorisation released")
            notifications.queue_authorisation_released(uow, order, at=now)
        else:
            duplicates.flag_hold_not_released(uow, order, intent, at=now)
        uow.commit()
