"""Starting (or resuming) a Stripe Checkout Session for an order.

Two short transactions around one provider call, so no database lock is held while Stripe
answers. The first reserves an attempt with a deterministic idempotency key
(`order:{id}:checkout:{n}`) and stores on it what the parameters are built from (the return
URLs, the customer's email, whether the card is only authorised); the second stores the session
id. A crash or a concurrent double click between them re-sends the *same* key and parameters —
built from the order and the attempt row, never from the retrying process's settings — and
Stripe answers with the same session, so an order never gets two live sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from comptoir.domain.actors import SYSTEM_SUCCESS_PAGE, Actor, Role
from comptoir.domain.catalog import Unit
from comptoir.domain.errors import NotFound
from comptoir.domain.money import MILLI, milli_to_quantity
from comptoir.domain.orders import REFUSED_BY_THE_SHOP, OrderStatus, PaymentStatus, check_payable
from comptoir.domain.payments import AttemptKind, AttemptState, Keys, authorised_amount
from comptoir.records.payments import PaymentAttempt
from comptoir.records.shop import Order, OrderLine
from comptoir.services import order_state
from comptoir.services.payments import duplicates, fulfilment
from comptoir.services.payments.provider import CheckoutLine, CheckoutRequest, PaymentGateway
from comptoir.services.ports import UnitOfWork
from comptoir.services.views import HistoryView, OrderView

# Stripe accepts expires_at from 30 minutes to 24 hours after creation; keep a margin for clock skew.
MIN_SESSION_LIFETIME = timedelta(minutes=31)
MAX_SESSION_LIFETIME = timedelta(hours=23, minutes=59)
REUSE_MARGIN = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class CheckoutUrls:
    success_url: str  # contains {CHECKOUT_SESSION_ID}
    cancel_url: str


@dataclass(frozen=True, slots=True)
class CheckoutLink:
    id: str
    url: str
    expires_at: datetime


def start_checkout(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    actor: Actor,
    order_id: str,
    *,
    urls: CheckoutUrls,
    now: datetime,
) -> CheckoutLink:
    """Return the order's open session, or create the next one (two short transactions on `uow`)."""
    with uow:
        order = uow.orders.get_for_update(order_id)
        if order is None or not _may_pay(actor, order):
            raise NotFound(f"no order {order_id}", code="order_not_found")
        check_payable(order, now)
        attempts = [a for a in uow.payments.attempts(order.id) if a.kind == AttemptKind.CHECKOUT_SESSION]
        live = next((a for a in reversed(attempts) if _is_live(a, now)), None)
        if live is not None and live.state == AttemptState.OPEN and live.provider_id and live.url:
            return CheckoutLink(live.provider_id, live.url, _required(live.expires_at))
        attempt = live if live is not None else _reserve_attempt(uow, order, now)
        if attempt.success_url is None:  # just reserved (or reserved before the parameters were stored)
            _fix_parameters(uow, order, urls, attempt)
        request = _request(order, attempt)
        key = attempt.idempotency_key
        uow.commit()

    session = gateway.create_checkout_session(request, idempotency_key=key)

    with uow:
        uow.orders.get_for_update(order_id)
        for candidate in uow.payments.attempts(order_id):
            if candidate.idempotency_key == key and candidate.provider_id is None:
                candidate.provider_id = session.id
                candidate.url = session.url
                candidate.state = AttemptState.OPEN
        uow.commit()
    assert session.url is not None, "a payment-mode Checkout Session always has a url"
    return CheckoutLink(session.id, session.url, _required(attempt.expires_at))


def _may_pay(actor: Actor, order: Order) -> bool:
    return order.customer_id == actor.user_id or actor.role is Role.ADMIN


def _is_live(attempt: PaymentAttempt, now: datetime) -> bool:
    return (
        attempt.state in {AttemptState.CREATING, AttemptState.OPEN}
        and attempt.expires_at is not None
        and attempt.expires_at > now + REUSE_MARGIN
    )


def _reserve_attempt(uow: UnitOfWork, order: Order, now: datetime) -> PaymentAttempt:
    """The next attempt, expiring with the stock hold (extended to Stripe's 30-minute minimum)."""
    number = max((a.number for a in uow.payments.attempts(order.id)), default=0) + 1
    shop = uow.shops.get(order.shop_id)
    assert shop is not None
    hold = order.hold_expires_at or now
    expires_at = min(max(hold, now + MIN_SESSION_LIFETIME), now + MAX_SESSION_LIFETIME).replace(microsecond=0)
    if order.hold_expires_at is None or expires_at > order.hold_expires_at:
        order.hold_expires_at = expires_at
    return uow.payments.add_attempt(
        PaymentAttempt(
            order_id=order.id,
            number=number,
            kind=AttemptKind.CHECKOUT_SESSION,
            idempotency_key=Keys.checkout(order.id, number),
            state=AttemptState.CREATING,
            amount=authorised_amount(order.total, shop),
            expires_at=expires_at,
            created_at=now,
            updated_at=now,
        )
    )


def _fix_parameters(uow: UnitOfWork, order: Order, urls: CheckoutUrls, attempt: PaymentAttempt) -> None:
    """Store on the attempt what its session's parameters are built from and could differ on a retry:
    the URLs (each process has its own public URL), the customer's email, the shop's capture setting and name."""
    customer = uow.users.get(order.customer_id)
    shop = uow.shops.get(order.shop_id)
    attempt.display_name = shop.name if shop is not None else None
    attempt.success_url = urls.success_url
    attempt.cancel_url = urls.cancel_url
    attempt.customer_email = customer.email if customer else None
    attempt.capture_manually = attempt.amount is not None and _captures_manually(uow, order)


def _request(order: Order, attempt: PaymentAttempt) -> CheckoutRequest:
    """The session's parameters, from the order and the attempt row only (identical on every retry).

    A shop that weighs its goods (`capture_manually`) only authorises: the session shows the
    margin as its own line, and its metadata says `capture=manual` so fulfilment reads the
    completed session as an authorisation, not as the final payment (`payments.capture`)."""
    assert attempt.success_url is not None and attempt.cancel_url is not None
    lines = tuple(_line(line) for line in order.lines)
    margin = (attempt.amount or order.total) - order.total
    manual = bool(attempt.capture_manually)
    if margin > 0:
        lines += (
            CheckoutLine(name="Weighing margin (only the weighed amount is charged)", unit_amount=margin, quantity=1),
        )
    return CheckoutRequest(
        order_id=order.id,
        currency=order.currency,
        lines=lines,
        success_url=attempt.success_url,
        cancel_url=attempt.cancel_url,
        expires_at=int(_required(attempt.expires_at).timestamp()),
        customer_email=attempt.customer_email,
        capture_manually=manual,
        display_name=attempt.display_name,
        metadata={"order_number": order.number, **({"capture": "manual"} if manual else {})},
    )


def _captures_manually(uow: UnitOfWork, order: Order) -> bool:
    shop = uow.shops.get(order.shop_id)
    return shop is not None and shop.capture_manually


def _line(line: OrderLine) -> CheckoutLine:
    """Pieces keep their quantity; weighed goods are one line at the weighed total ("0.750 kg")."""
    if Unit(line.unit) is Unit.PIECE:
        return CheckoutLine(name=line.name, unit_amount=line.unit_price, quantity=line.quantity_milli // MILLI)
    return CheckoutLine(
        name=line.name,
        unit_amount=line.line_total,
        quantity=1,
        description=f"{milli_to_quantity(line.quantity_milli)} kg",
    )


def _required(value: datetime | None) -> datetime:
    """Checkout attempts always carry an expiry; the column is nullable for PaymentIntent attempts."""
    assert value is not None
    return value


class CancelledBy(StrEnum):
    """Who ended a cancelled order, as its customer is told on the landing pages."""

    CUSTOMER = "customer"
    SHOP = "shop"  # the merchant refused it (or an admin cancelled it)
    EXPIRY = "expiry"  # its reservation ran out unpaid (the expiry sweep, a webhook, the reconciler)


def cancelled_by(order: OrderView) -> CancelledBy | None:
    """Read from the order's history: the actor of its move to `cancelled`."""
    if order.status is not OrderStatus.CANCELLED:
        return None
    move = _last_cancellation(order)
    actor = move.actor if move is not None else ""
    if actor.startswith(f"{Role.CUSTOMER.value}:"):
        return CancelledBy.CUSTOMER
    if actor.startswith((f"{Role.MERCHANT.value}:", f"{Role.ADMIN.value}:")):
        return CancelledBy.SHOP
    return CancelledBy.EXPIRY


def refusal_reason(order: OrderView) -> str | None:
    """The reason the shop gave when it refused the order (the customer is told it), if it refused it."""
    move = _last_cancellation(order)
    if move is None or cancelled_by(order) is not CancelledBy.SHOP or not move.reason.startswith(REFUSED_BY_THE_SHOP):
        return None
    return move.reason.removeprefix(REFUSED_BY_THE_SHOP).strip() or None


def _last_cancellation(order: OrderView) -> HistoryView | None:
    moves = [h for h in order.history if h.axis == order_state.STATUS_AXIS and h.to_value == OrderStatus.CANCELLED]
    return moves[-1] if moves else None


@dataclass(frozen=True, slots=True)
class Landing:
    """What the customer's browser is shown after Stripe sends it back."""

    order: OrderView
    shop_name: str
    outcome: str
    resume_url: str | None = None
    cancelled_by: CancelledBy | None = None
    refusal_reason: str | None = None

    @property
    def final(self) -> bool:
        """Whether the page can stop refreshing: nothing more is expected to happen by itself."""
        return self.order.payment_status is not PaymentStatus.PROCESSING and (
            self.order.payment_status is not PaymentStatus.UNPAID or self.order.status is OrderStatus.CANCELLED
        )


def success_landing(uow: UnitOfWork, gateway: PaymentGateway, session_id: str, *, now: datetime) -> Landing:
    """The success URL: re-read the session from Stripe (the query string proves nothing) and fulfil it.

    Stripe's guide: "You can't rely on triggering fulfillment only from your checkout landing
    page" — the webhook does it too, and fulfilment is idempotent, so doing it here just makes
    the page right sooner when the webhook is late.
    """
    session = gateway.retrieve_checkout_session(session_id)
    result = fulfilment.fulfil_checkout(uow, session, actor=SYSTEM_SUCCESS_PAGE, now=now)
    if result.order_id is None or result.outcome == "not_ours":
        raise NotFound(f"checkout session {session_id} is not for an order of this shop", code="session_not_ours")
    if result.refund_due:  # paid twice, or after the order was cancelled: give it back now, not at the next tick
        duplicates.refund_duplicates(uow, gateway, now=now, order_id=result.order_id)
    return _landing(uow, result.order_id, result.outcome, now, for_customer=True)


def cancel_landing(uow: UnitOfWork, order_id: str, *, now: datetime) -> Landing:
    """The cancel URL: the order is still reserved; offer the still-open session to finish paying."""
    return _landing(uow, order_id, "cancelled_by_customer", now)


def _landing(uow: UnitOfWork, order_id: str, outcome: str, now: datetime, *, for_customer: bool = False) -> Landing:
    """What a landing page shows; `for_customer`: the success page, which only the customer's browser
    reaches (Stripe sends it there with the session's id), also shows the pickup code."""
    with uow:
        order = uow.orders.get(order_id)
        if order is None:
            raise NotFound(f"no order {order_id}", code="order_not_found")
        shop = uow.shops.get(order.shop_id)
        assert shop is not None
        live = [
            a for a in uow.payments.attempts(order.id) if a.kind == AttemptKind.CHECKOUT_SESSION and _is_live(a, now)
        ]
        resume = live[-1].url if live and order.payment_status in {"unpaid", "failed"} else None
        view = OrderView.of(order, shop.slug, for_customer=for_customer)
        return Landing(view, shop.name, outcome, resume, cancelled_by(view), refusal_reason(view))
