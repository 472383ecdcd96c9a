"""The API test client wrapper and small data factories behind its back.

The password hasher is real argon2id with cheap parameters: the same code path, milliseconds
instead of tenths of a second per hash.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # Starlette 1.x warns, once at import, that its TestClient will want the `httpx2` fork; the
    # pinned set has httpx, which the client still fully supports. Only that import is excused.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from comptoir.adapters.security import Argon2PasswordHasher
from comptoir.config import Settings
from comptoir.domain.actors import Role
from comptoir.records.shop import Product, Shop
from comptoir.services import accounts
from comptoir.services.ports import UnitOfWork

JWT_SECRET = "api-tests-secret-0123456789-0123456789-0123456789"
PASSWORD = "motdepasse123"
FAST_HASHER = Argon2PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


@dataclass
class Api:
    """The test client plus what a test needs to arrange data behind its back."""

    client: TestClient
    uow: Callable[[], UnitOfWork]
    settings: Settings

    def register(self, email: str, password: str = PASSWORD, name: str = "") -> dict[str, Any]:
        response = self.client.post("/api/auth/register", json={"email": email, "password": password, "name": name})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def customer_headers(self, email: str = "client@example.com") -> dict[str, str]:
        return bearer(self.register(email)["access_token"])

    def login_headers(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        response = self.client.post("/api/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return bearer(response.json()["access_token"])

    def add_shop(self, slug: str, *, currency: str = "EUR", **options: Any) -> int:
        defaults = {"accepts_online": True, "accepts_on_pickup": False, "offers_delivery": True, "offers_pickup": False}
        with self.uow() as uow:
            shop = uow.shops.add(
                Shop(slug=slug, name=slug.replace("-", " ").title(), currency=currency, **(defaults | options))
            )
            uow.commit()
            return shop.id

    def add_product(
        self,
        shop_id: int,
        name: str,
        unit_price: int,
        *,
        unit: str = "piece",
        stock_milli: int = 10_000,
        active: bool = True,
    ) -> int:
        with self.uow() as uow:
            product = uow.products.add(
                Product(
                    shop_id=shop_id,
                    name=name,
                    description="",
                    unit=unit,
                    unit_price=unit_price,
                    stock_milli=stock_milli,
                    active=active,
                )
            )
            uow.commit()
            return product.id

    def stock_milli(self, product_id: int) -> int:
        with self.uow() as uow:
            product = uow.products.get(product_id)
            assert product is not None
            return product.stock_milli

    def add_merchant(self, email: str, *shop_slugs: str) -> dict[str, str]:
        accounts.create_user(self.uow(), FAST_HASHER, email, PASSWORD, Role.MERCHANT, shop_slugs)
        return self.login_headers(email)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    return Settings(
        database_url=database_url, data_dir=data_dir, jwt_secret=SecretStr(JWT_SECRET), dev=False, **overrides
    )
