"""The pages under test: the app on a real migrated database, a clock the test moves, and a visitor
who signs in through the form as a person would (reading the CSRF token from the page)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.api.support import PASSWORD, Api, TestClient, bearer

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
BUTCHER = "boucherie-dupont"
BAKER = "boulangerie-martin"


@dataclass
class MovableClock:
    """The app's clock: fixed until the test moves it (no sleeps to see a session lapse)."""

    now: datetime = field(default_factory=lambda: datetime(2026, 12, 5, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Site:
    api: Api
    clock: MovableClock

    @property
    def client(self) -> TestClient:
        return self.api.client


def csrf_of(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD, **extra: str) -> httpx.Response:
    page = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text), **extra},
        follow_redirects=False,
    )


def open_shop(api: Api, slug: str) -> dict[str, int]:
    """A pickup shop that takes payment at the counter, with a piece product and a kg product."""
    shop_id = api.add_shop(slug, accepts_on_pickup=True, offers_pickup=True, offers_delivery=False)
    return {
        "shop_id": shop_id,
        "pieces": api.add_product(shop_id, "Merguez", 250),
        "kg": api.add_product(shop_id, "Entrecôte", 3200, unit="kg", stock_milli=20_000),
    }


def pickup_order(api: Api, slug: str, lines: list[tuple[int, str]], customer: str, name: str) -> dict[str, Any]:
    """A customer of `slug` orders for pickup, to pay at the counter (confirmed at once: the shop's to prepare)."""
    response = api.client.post("/api/auth/register", json={"email": customer, "password": PASSWORD, "name": name})
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    response = api.client.post(
        "/api/orders",
        headers=headers,
        json={
            "shop": slug,
            "lines": [{"product_id": product, "quantity": quantity} for product, quantity in lines],
            "payment_method": "on_pickup",
            "pickup": {"note": "Samedi matin"},
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def card_order(api: Api, slug: str, lines: list[tuple[int, str]], customer: str, name: str) -> dict[str, Any]:
    """A customer of `slug` orders for pickup and pays online with a good card (authorised only, in a
    shop that captures manually)."""
    headers = bearer(api.register(customer, name=name)["access_token"])
    response = api.client.post(
        "/api/orders",
        headers=headers,
        json={
            "shop": slug,
            "lines": [{"product_id": product, "quantity": quantity} for product, quantity in lines],
            "payment_method": "online",
            "pickup": {"note": "Samedi matin"},
        },
    )
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    paid = api.client.post(
        f"/api/orders/{order['id']}/pay", headers=headers, json={"payment_method_id": "pm_card_visa"}
    )
    assert paid.status_code == 200, paid.text
    return order
