"""A real sandbox served by uvicorn on 127.0.0.1 (free port), driven with the official SDK."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from comptoir.sandbox import Sandbox
from tests.support.sandbox import RunningSandbox, start_sandbox


@pytest.fixture(scope="session")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    instance = start_sandbox(tmp_path_factory.mktemp("sandbox"))
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def client(running: RunningSandbox) -> stripe.StripeClient:
    return running.client()


@pytest.fixture(scope="session")
def sandbox(running: RunningSandbox) -> Sandbox:
    return running.sandbox
