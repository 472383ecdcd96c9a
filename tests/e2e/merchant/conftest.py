"""Fixtures for the merchant end-to-end tests: the issue-4 stack (sandbox and shop as real uvicorn
servers, the official SDK inside the shop, signed webhooks over sockets) with a butcher on top."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from comptoir.domain.actors import Role
from comptoir.services.views import ProductView, ShopView
from tests.e2e.checkout.stack import Customer, Stack, running_stack
from tests.factories import add_product, add_shop, add_user
from tests.servers import Buyer

PRICE = 2500
STOCK = 5


@dataclass
class Butcher:
    """A shop paid online or at pickup, its merchant's headers, and one product."""

    stack: Stack
    shop: ShopView
    product: ProductView
    merchant: dict[str, str]

    @property
    def http(self) -> httpx.Client:
        return self.stack.http

    def customer(self) -> Customer:
        return self.stack.customer()

    def place(self, customer: Customer, *, method: str = "online", quantity: int = 2) -> dict[str, Any]:
        body: dict[str, Any] = {
            "shop": self.shop.slug,
            "lines": [{"product_id": self.product.id, "quantity": quantity}],
            "payment_method": method,
            "pickup": {"slot": "samedi 10h"},
        }
        answer = self.http.post("/api/orders", headers=customer.headers, json=body)
        assert answer.status_code == 201, answer.text
        order: dict[str, Any] = answer.json()
        return order

    def pay(self, buyer: Buyer, customer: Customer, order_id: str, card: str = "4242 4242 4242 4242") -> None:
        """The customer pays on the hosted page; returns once the webhook has marked the order paid."""
        session = self.stack.start_checkout(customer, order_id)
        paid = buyer.pay_card(session["url"], card)
        assert paid.status == 303, paid.html
        self.stack.wait_order(order_id, "the order paid by webhook", lambda s: s.payment_status == "paid")

    def get(self, order_id: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.http.get(f"/api/merchant/orders/{order_id}", headers=headers or self.merchant)

    def post(
        self, order_id: str, action: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return self.http.post(f"/api/merchant/orders/{order_id}/{action}", headers=headers or self.merchant, json=body)

    def stock(self) -> int:
        shelf, _ = self.stack.stock_accounted(self.product)
        return shelf // 1000

    def login(self, email: str) -> dict[str, str]:
        answer = self.http.post("/api/auth/login", json={"email": email, "password": "pw"})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def another_merchant(self) -> dict[str, str]:
        other = add_shop(self.stack.uows)
        return self.login(add_user(self.stack.uows, role=Role.MERCHANT, shops=[other]).email)


@pytest.fixture
def stack(db_url: str, tmp_path: Path) -> Iterator[Stack]:
    with running_stack(db_url, tmp_path / "shop") as running:
        yield running


@pytest.fixture
def butcher(stack: Stack) -> Butcher:
    shop = add_shop(stack.uows, on_pickup=True, pickup=True, delivery=False)
    product = add_product(stack.uows, shop, unit_price=PRICE, stock=STOCK)
    merchant = add_user(stack.uows, role=Role.MERCHANT, shops=[shop])
    result = Butcher(stack, shop, product, {})
    result.merchant = result.login(merchant.email)
    return result


@pytest.fixture
def buyer() -> Iterator[Buyer]:
    browser = Buyer()
    yield browser
    browser.close()
