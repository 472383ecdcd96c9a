"""Checkout's redirect coupling (facts §6): with an endpoint listening to
``checkout.session.completed`` (or a ``--forward-to`` target), the hosted page holds the buyer
until that delivery has had a first answer, at most ``checkout_redirect_wait`` seconds (Stripe:
10), without holding up other requests. Nothing sleeps: the receiver answers when the test sets
its ``release`` Event, and the buyer's POST runs in a thread the test can look at."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest

from tests.servers import Buyer, Page

from .webhook_harness import DEADLINE, Delivery, Receiver, RunningSandbox, running_receiver, running_sandbox

SUCCESS = "http://shop.test/thanks?session_id={CHECKOUT_SESSION_ID}"
LONG_WAIT = DEADLINE * 3
"""A cap the tests never reach: a POST that returns early did not wait for it."""


def _session(sandbox: RunningSandbox) -> Any:
    return sandbox.stripe.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "success_url": SUCCESS,
            "cancel_url": "http://shop.test/cart",
            "line_items": [
                {
                    "price_data": {"currency": "eur", "unit_amount": 950, "product_data": {"name": "Tarte"}},
                    "quantity": 1,
                }
            ],
        }
    )


def _hold_completed(delivery: Delivery, index: int) -> int:
    """The receiver answers checkout.session.completed only once the test releases it (0 = hold)."""
    return 0 if delivery.event["type"] == "checkout.session.completed" else 200


def _completed_arrived(got: list[Delivery]) -> bool:
    return any(d.event["type"] == "checkout.session.completed" for d in got)


@contextmanager
def _shop(target: str, wait: float) -> Iterator[tuple[Receiver, RunningSandbox]]:
    with running_receiver() as receiver:
        receiver.respond = _hold_completed
        options = {"forward_to": receiver.url} if target == "forward_to" else {}
        with running_sandbox(checkout_redirect_wait=wait, **options) as sandbox:
            if target == "endpoint":
                sandbox.endpoint(receiver.url, ["checkout.session.completed"])
            yield receiver, sandbox


@contextmanager
def _in_background() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True)


@pytest.fixture
def buyer() -> Iterator[Buyer]:
    """A browser stand-in patient enough for any wait these tests allow."""
    instance = Buyer()
    instance.http.timeout = LONG_WAIT + DEADLINE
    yield instance
    instance.close()


@pytest.mark.parametrize("target", ["endpoint", "forward_to"])
def test_the_redirect_waits_until_the_shop_answers_checkout_session_completed(target: str, buyer: Buyer) -> None:
    # given a shop whose receiver holds checkout.session.completed until the test releases it
    with _shop(target, LONG_WAIT) as (receiver, sandbox), _in_background() as pool:
        session = _session(sandbox)
        # when the buyer pays on the hosted page
        posted: Future[Page] = pool.submit(buyer.pay_card, session.url)
        receiver.wait_for(_completed_arrived)
        # then, while the shop has not answered, the buyer is still waiting for the redirect
        assert not posted.done()
        # and the sandbox keeps answering other requests meanwhile (the wait blocks nothing else)
        assert sandbox.stripe.v1.checkout.sessions.retrieve(session.id).status == "complete"
        assert not posted.done()
        # when the shop answers
        receiver.release.set()
        page = posted.result(timeout=DEADLINE)
        # then the buyer is redirected to success_url
        assert page.status == 303
        assert page.location == SUCCESS.replace("{CHECKOUT_SESSION_ID}", session.id)


def test_back_from_3ds_the_redirect_waits_too(buyer: Buyer) -> None:
    # given a shop that never answers checkout.session.completed, a 1 s wait, and a buyer who
    # passed the 3-D Secure challenge (which completed the session)
    with _shop("endpoint", 1.0) as (receiver, sandbox):
        session = _session(sandbox)
        challenge = buyer.pay_card(session.url, "4000 0025 0000 3155")
        assert challenge.status == 303 and challenge.location and "/3ds/" in challenge.location
        back = buyer.choose_3ds(challenge.location, "complete")
        assert back.status == 303 and back.location and "redirect_status=" in back.location
        receiver.wait_for(_completed_arrived)
        # when the browser follows the way back to the hosted page
        started = time.monotonic()
        page = buyer.open(back.location)
        # then it was held for the whole wait (the shop never answered) before going to success_url
        assert time.monotonic() - started >= 1.0
        assert not receiver.release.is_set()
        assert page.status == 303
        assert page.location == SUCCESS.replace("{CHECKOUT_SESSION_ID}", session.id)


def test_the_redirect_waits_no_longer_than_the_configured_time(buyer: Buyer) -> None:
    # given a shop that never answers checkout.session.completed in time, and a short wait
    with _shop("endpoint", 0.2) as (receiver, sandbox):
        session = _session(sandbox)
        # when the buyer pays
        page = buyer.pay_card(session.url)
        # then the redirect comes although the shop is still holding the delivery
        assert page.status == 303
        assert page.location == SUCCESS.replace("{CHECKOUT_SESSION_ID}", session.id)
        assert not receiver.release.is_set()
        event_id = next(
            d.event["id"]
            for d in receiver.wait_for(_completed_arrived)
            if d.event["type"] == "checkout.session.completed"
        )
        [row] = sandbox.deliveries(event_id=event_id)
        assert row["attempts"] == 0 and row["status"] == "pending"


def test_without_a_listening_endpoint_the_redirect_does_not_wait(buyer: Buyer) -> None:
    # given a sandbox with no endpoint and no forwarding target, and a wait cap it must not use
    with running_sandbox(checkout_redirect_wait=LONG_WAIT) as sandbox:
        session = _session(sandbox)
        # when the buyer pays
        started = time.monotonic()
        page = buyer.pay_card(session.url)
        # then the redirect is immediate (well under the cap)
        assert page.status == 303
        assert page.location == SUCCESS.replace("{CHECKOUT_SESSION_ID}", session.id)
        assert time.monotonic() - started < DEADLINE
