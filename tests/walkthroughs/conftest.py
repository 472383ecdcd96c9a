"""The seed documents' walkthroughs against the real stack: the shop and the sandbox as two uvicorn
servers (the e2e checkout harness), on SQLite and PostgreSQL, with the demo shops and logins that
`make demo` seeds, so each document's requests run as written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from comptoir.services.demo import seed_demo
from tests.e2e.checkout.stack import Stack, running_stack
from tests.factories import FakeHasher
from tests.servers import Buyer

CUSTOMER = {"email": "client@example.com", "password": "motdepasse123"}
"""The demo customer of seed 000's login step."""


@pytest.fixture
def demo(db_url: str, tmp_path: Path) -> Iterator[Stack]:
    """The running stack with the demo data of `make demo` (the shop's hasher is the test one)."""
    with running_stack(db_url, tmp_path / "shop") as stack:
        seed_demo(stack.uows(), FakeHasher())
        yield stack


@pytest.fixture
def buyer() -> Iterator[Buyer]:
    browser = Buyer()
    yield browser
    browser.close()


def product_id(stack: Stack, shop: str, name: str) -> int:
    """A demo product's id, read from the catalog as a newcomer would (`GET /api/shops/{slug}/products`)."""
    answer = stack.http.get(f"/api/shops/{shop}/products")
    assert answer.status_code == 200, answer.text
    products: list[dict[str, Any]] = answer.json()
    return next(int(p["id"]) for p in products if p["name"] == name)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
