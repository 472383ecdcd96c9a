"""Fixtures for paying with a card confirmed on the server (`/pay`) end to end: the issue-4 stack
(sandbox and shop as real uvicorn servers, the official SDK inside the shop, signed webhooks over
sockets), on SQLite and PostgreSQL, plus a card-holder's view of it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from comptoir.domain.actors import Role
from comptoir.domain.catalog import Unit
from comptoir.services import duplicates
from comptoir.services.views import ProductView, ShopView
from tests.e2e.checkout.stack import Customer, Stack, running_stack
from tests.factories import add_product, add_shop, add_user
from tests.servers import Buyer

PRICE = 2500
STOCK = 5


@dataclass
class Cards:
    """The stack seen from a shop that takes cards on its own page."""

    stack: Stack
    shop: ShopView
    product: ProductView

    @property
    def http(self) -> httpx.Client:
        return self.stack.http

    def order(self, customer: Customer, quantity: int = 2) -> dict[str, Any]:
        return self.stack.place_order(customer, self.shop, self.product, quantity)

    def card(self, number: str) -> str:
        """What Stripe.js `createPaymentMethod` gives the page for typed card details: a `pm_…` id."""
        return str(self.stack.sandbox.payment_method_for_card(number, 12, 2034, "123")["id"])

    def pay(self, customer: Customer, order_id: str, **body: str) -> httpx.Response:
        return self.http.post(f"/api/orders/{order_id}/pay", headers=customer.headers, json=body)

    def challenge_url(self, answer: dict[str, Any]) -> str:
        """The sandbox's 3-D Secure page Stripe.js would open for a `requires_action` answer."""
        query = urlencode({"client_secret": answer["client_secret"]})
        return f"{self.stack.running.url}/3ds/{answer['payment_intent_id']}?{query}"

    def intents_of(self, order_id: str) -> list[Any]:
        """Every PaymentIntent the sandbox holds for the order."""
        found = self.stack.stripe.v1.payment_intents.list({"limit": 100}).auto_paging_iter()
        return [intent for intent in found if (intent.to_dict().get("metadata") or {}).get("order_id") == order_id]

    def refund_duplicates(self) -> list[duplicates.DuplicateRefund]:
        """What the worker does on each tick (the stack runs no worker thread)."""
        return duplicates.refund_duplicates(self.stack.uows(), self.stack.app.state.gateway, now=self.stack.now())

    def login(self, email: str) -> dict[str, str]:
        answer = self.http.post("/api/auth/login", json={"email": email, "password": "pw"})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture
def stack(db_url: str, tmp_path: Path) -> Iterator[Stack]:
    with running_stack(db_url, tmp_path / "shop") as running:
        yield running


@pytest.fixture
def cards(stack: Stack) -> Cards:
    shop = add_shop(stack.uows)
    add_user(stack.uows, role=Role.MERCHANT, shops=[shop])
    return Cards(stack, shop, add_product(stack.uows, shop, unit_price=PRICE, stock=STOCK))


@dataclass
class WeighingShop:
    """A butcher that captures the weighed amount: 10% margin, beef at 32.90 EUR/kg."""

    cards: Cards
    merchant: dict[str, str]


@pytest.fixture
def butcher(stack: Stack) -> WeighingShop:
    shop = add_shop(stack.uows, capture_manually=True, capture_margin_percent=10)
    merchant = add_user(stack.uows, role=Role.MERCHANT, shops=[shop])
    beef = add_product(stack.uows, shop, name="Entrecôte", unit=Unit.KG, unit_price=3290, stock=20)
    cards = Cards(stack, shop, beef)
    return WeighingShop(cards, cards.login(merchant.email))


@pytest.fixture
def buyer() -> Iterator[Buyer]:
    browser = Buyer()
    yield browser
    browser.close()
