"""Arrangements for the merchant service tests: a gateway that refunds like Stripe, and a shop with
its merchant, a customer, and orders paid online or at pickup."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from comptoir.adapters.db.payment_models import PaymentAttempt
from comptoir.adapters.db.uow import SqlUnitOfWorkFactory
from comptoir.domain.actors import SYSTEM_WEBHOOK, Actor, Role
from comptoir.domain.catalog import Unit
from comptoir.domain.errors import UpstreamUnavailable
from comptoir.services import checkout, fulfilment, ordering
from comptoir.services.checkout import CheckoutUrls
from comptoir.services.payment_gateway import PaymentIntent, Refund
from comptoir.services.views import OrderView, ProductView, ShopView
from tests.factories import NOW, add_product, add_shop, add_user, order_of
from tests.fakes import FakeGateway

URLS = CheckoutUrls("http://shop/checkout/success?session_id={CHECKOUT_SESSION_ID}", "http://shop/checkout/cancel")
_ids = itertools.count(1)


class RefundingGateway(FakeGateway):
    """FakeGateway (which refunds like Stripe: idempotent per key, refused past what is left on the
    payment) that records each refund call and can fail to connect, or refuse once, as a test arranges."""

    def __init__(self) -> None:
        super().__init__()
        self.refund_calls: list[tuple[str, str, int]] = []  # (payment intent, key, amount)
        self.unreachable = False
        self.refuse_next = False
        self.cancelled: list[tuple[str, str]] = []

    def create_refund(
        self, payment_intent_id: str, amount: int | None, reason: str | None, metadata: Any, *, idempotency_key: str
    ) -> Refund:
        if self.unreachable:
            raise UpstreamUnavailable("Stripe is unavailable: connection refused")
        if self.refuse_next:
            self.refuse_next = False
            raise UpstreamUnavailable("Stripe refused the request: charge disputed", code="provider_refused")
        assert amount is not None
        self.refund_calls.append((payment_intent_id, idempotency_key, amount))
        return super().create_refund(payment_intent_id, amount, reason, metadata, idempotency_key=idempotency_key)

    def cancel_payment_intent(self, payment_intent_id: str, *, idempotency_key: str) -> PaymentIntent:
        self.cancelled.append((payment_intent_id, idempotency_key))
        return PaymentIntent.from_dict({"id": payment_intent_id, "status": "canceled", "currency": "eur"})


@dataclass
class Shop:
    shop: ShopView
    product: ProductView
    beef: ProductView
    merchant: Actor
    customer: Actor


def butcher(uows: SqlUnitOfWorkFactory) -> Shop:
    """A butcher taking payment online and at pickup, a piece product (25.00) and beef by the kg (32.90/kg)."""
    shop = add_shop(uows, on_pickup=True, pickup=True, delivery=False)
    product = add_product(uows, shop, unit_price=2500, stock=10)
    beef = add_product(uows, shop, name="Entrecôte", unit=Unit.KG, unit_price=3290, stock="5")
    return Shop(shop, product, beef, add_user(uows, role=Role.MERCHANT, shops=[shop]), add_user(uows))


def pickup_order(uows: SqlUnitOfWorkFactory, shop: Shop, quantity: int = 2) -> OrderView:
    command = order_of(
        shop.shop, (shop.product, quantity), payment_method="on_pickup", delivery_address=None, pickup={}
    )
    return ordering.place_order(uows(), shop.customer, command, NOW)


def paid_online_order(
    uows: SqlUnitOfWorkFactory, gateway: RefundingGateway, shop: Shop, *lines: tuple[ProductView, Any]
) -> tuple[OrderView, str]:
    """An online pickup order paid through Checkout; returns it and its PaymentIntent id."""
    command = order_of(shop.shop, *(lines or ((shop.product, 2),)), delivery_address=None, pickup={})
    order = ordering.place_order(uows(), shop.customer, command, NOW)
    link = checkout.start_checkout(uows(), gateway, shop.customer, order.id, urls=URLS, now=NOW)
    session = gateway.pay(link.id)
    assert fulfilment.fulfil_checkout(uows(), session, actor=SYSTEM_WEBHOOK, now=NOW).outcome == "paid"
    assert session.payment_intent_id is not None
    return order, session.payment_intent_id


def authorised_order(uows: SqlUnitOfWorkFactory, shop: Shop) -> tuple[OrderView, str]:
    """An online order whose card is only authorised (manual capture), as the card flow leaves it."""
    command = order_of(shop.shop, (shop.product, 1), delivery_address=None, pickup={})
    order = ordering.place_order(uows(), shop.customer, command, NOW)
    intent = f"pi_auth_{next(_ids)}"
    with uows() as uow:
        uow.payments.add_attempt(
            PaymentAttempt(
                order_id=order.id,
                number=1,
                kind="payment_intent",
                idempotency_key=f"order:{order.id}:pay:1",
                provider_id=intent,
                state="authorized",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        uow.commit()
    return order, intent


def ledger(uows: SqlUnitOfWorkFactory, order_id: str) -> list[tuple[str, int, str, str]]:
    with uows() as uow:
        return [(e.kind, e.amount, e.external_id, e.source) for e in uow.payments.ledger(order_id)]


def outbox(uows: SqlUnitOfWorkFactory, order_id: str) -> list[tuple[str, str, str]]:
    """(topic, recipient, body) of the messages queued for an order, oldest first."""
    with uows() as uow:
        return [(m.topic, m.recipient, m.body) for m in uow.outbox.for_order(order_id)]
