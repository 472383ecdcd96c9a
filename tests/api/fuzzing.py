"""The fuzzer's target, shared by the in-suite run (`test_api_fuzz.py`) and the long one (`bench/fuzz_api.py`).

The shop and the sandbox run as real servers (the e2e stack), on a database seeded with the demo
shops, products and accounts, so that generated requests reach real rows, real payments through
the official SDK, and real refusals. Schemathesis then calls the shop's own OpenAPI document as the
demo customer and as a demo merchant.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from comptoir.adapters.db.migrate import upgrade
from comptoir.domain.actors import Role
from comptoir.services.demo import DEMO_LOGINS, seed_demo
from tests.e2e.checkout.stack import Stack, running_stack
from tests.factories import FakeHasher

ROLES = ("customer", "merchant")
CHECKS = ("not_a_server_error", "status_code_conformance")
"""What the fuzzer must never find: a 5xx, or a status the OpenAPI does not document."""
STREAMS = {"merchant": frozenset({"/api/merchant/events"})}
"""Paths left out per role: a merchant's event feed is a stream that stays open for minutes by design,
so every call would only wait for the client's timeout (a customer's call is refused at once, and fuzzed)."""


@dataclass(frozen=True)
class FuzzTarget:
    stack: Stack
    tokens: dict[str, str]  # role -> bearer token

    @property
    def url(self) -> str:
        return self.stack.shop_url

    @property
    def schema_url(self) -> str:
        return f"{self.stack.shop_url}/openapi.json"

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def _login(stack: Stack, role: Role) -> str:
    email, password = next((email, password) for email, password, r in DEMO_LOGINS if r is role)
    answer = stack.http.post("/api/auth/login", json={"email": email, "password": password})
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


@contextmanager
def fuzz_target(data_dir: Path, database_url: str | None = None) -> Iterator[FuzzTarget]:
    """The running stack on a migrated database (a fresh SQLite file in `data_dir` unless a URL is
    given) holding the demo data, with a token for each of ROLES."""
    data_dir.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{data_dir / 'fuzz.sqlite3'}"
    upgrade(url)
    with running_stack(url, data_dir / "shop") as stack:
        seed_demo(stack.uows(), FakeHasher())
        tokens = {"customer": _login(stack, Role.CUSTOMER), "merchant": _login(stack, Role.MERCHANT)}
        yield FuzzTarget(stack, tokens)
