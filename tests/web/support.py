"""The pages under test: the app on a real migrated database, a clock the test moves, and a visitor
that signs in through the form as a person would (reading the CSRF token from the page)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from comptoir.services import accounts
from comptoir.services.ports import UnitOfWork
from tests.api.support import FAST_HASHER, PASSWORD, TestClient

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class MovableClock:
    """The app's clock: fixed until the test moves it (no sleeps to see a session lapse)."""

    now: datetime = field(default_factory=lambda: datetime(2026, 12, 5, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def csrf_of(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    page = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text), **extra},
        follow_redirects=False,
    )


def add_account(uows: Any, email: str, role: Any, shop_slugs: tuple[str, ...] = (), name: str = "") -> int:
    uow: UnitOfWork = uows()
    return accounts.create_user(uow, FAST_HASHER, email, PASSWORD, role, shop_slugs, name=name).id
