"""Fixtures for the end-to-end checkout tests: the stack on SQLite and PostgreSQL, with and
without the sandbox's webhook fault injection."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from comptoir.sandbox.faults import Faults
from tests.e2e.checkout.stack import Stack, running_stack
from tests.servers import Buyer

FAULT_SEED = int(os.environ.get("COMPTOIR_E2E_FAULT_SEED", "20261122"))
"""One seed for every faulty run, so a failure repeats (set the variable to explore others)."""


def unreliable_delivery(seed: int = FAULT_SEED) -> Faults:
    """Every event sent twice, shuffled within windows of 3, delayed a little, and 10% dropped."""
    return Faults(duplicate=1.0, drop=0.1, delay=(0.0, 0.05), reorder_window=3, reorder_hold=0.15, seed=seed)


@pytest.fixture(autouse=True)
def _quiet_http_clients() -> Iterator[None]:
    """The SDK and httpx log every request at INFO; hundreds per test cost time and bury the shop's own log."""
    loggers = [logging.getLogger(name) for name in ("stripe", "httpx")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.fixture(params=["exact", "faulty"])
def stack(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Iterator[Stack]:
    """The sandbox and the shop as real servers on the test's database; ``faulty`` delivers webhooks
    duplicated, out of order, delayed and 10% dropped (the reconciler then repairs)."""
    faults = unreliable_delivery() if request.param == "faulty" else None
    with running_stack(db_url, tmp_path / "shop", faults=faults) as running:
        yield running


@pytest.fixture
def exact_stack(db_url: str, tmp_path: Path) -> Iterator[Stack]:
    """The stack with tidy, in-order, exactly-once delivery (for checks of the webhook route itself)."""
    with running_stack(db_url, tmp_path / "shop") as running:
        yield running


@pytest.fixture
def buyer() -> Iterator[Buyer]:
    browser = Buyer()
    yield browser
    browser.close()
