"""The dashboard at the sandbox's root: recent objects, events with deliveries, Refund and Resend."""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sandbox.webhook_harness import Receiver, RunningSandbox, http, running_receiver, running_sandbox

HOSTILE = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with running_receiver() as rx:
        yield rx


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("dashboard"), forward_to=receiver.url) as running:
        yield running


def _paid(box: RunningSandbox, order_id: str = "ord_1") -> str:
    params = {"amount": 4200, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True}
    return box.stripe.v1.payment_intents.create({**params, "metadata": {"order_id": order_id}}).id


def _form(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to ``action``."""
    start = page.index(f'action="{html.escape(action)}"')
    form = page[start : page.index("</form>", start)]
    return {name: html.unescape(value) for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', form)}


def test_the_root_shows_payments_sessions_refunds_and_events_with_their_deliveries(box: RunningSandbox) -> None:
    # given a payment, a Checkout Session and a refund
    pi = _paid(box)
    box.stripe.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [
                {"quantity": 1, "price_data": {"currency": "eur", "unit_amount": 900, "product_data": {"name": "Tea"}}}
            ],
            "success_url": "http://shop.test/ok",
        }
    )
    refund = box.stripe.v1.refunds.create({"payment_intent": _paid(box, "ord_2")})
    box.wait_deliveries(lambda rows: bool(rows) and all(r["status"] != "pending" for r in rows))
    # when
    page = http().get(f"{box.url}/")
    # then
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    body = page.text
    for expected in (pi, refund.id, "€42.00", "€9.00", "payment_intent.succeeded", "refund.created", "forward_to"):
        assert expected in body
    assert "1 attempt" in body and "Refund</button>" in body and "Resend</button>" in body


def test_what_callers_typed_is_escaped(box: RunningSandbox) -> None:
    _paid(box, HOSTILE)
    body = http().get(f"{box.url}/").text
    assert HOSTILE not in body and "&lt;script&gt;alert(" in body


def test_the_refund_button_refunds_the_payment_as_the_dashboard_does(box: RunningSandbox) -> None:
    # given a paid PaymentIntent on the page
    pi = _paid(box, "ord_refund_me")
    action = f"/dashboard/payments/{pi}/refund"
    fields = _form(http().get(f"{box.url}/").text, action)
    # when the merchant clicks Refund
    answer = http().post(f"{box.url}{action}", data=fields)
    # then it is refunded in full, with the events of a refund that no API request made
    assert answer.status_code == 303
    [refund] = box.stripe.v1.refunds.list({"payment_intent": pi}).data
    assert refund.amount == 4200 and refund.status == "succeeded"
    [event] = [
        e
        for e in box.stripe.v1.events.list({"type": "charge.refunded", "limit": 5}).data
        if e.data.object.payment_intent == pi
    ]
    assert event.request.id is None
    assert "Refunded €42.00" in http().get(f"{box.url}{answer.headers['location']}").text


def test_a_refund_without_the_pages_token_is_refused(box: RunningSandbox) -> None:
    pi = _paid(box, "ord_forged")
    answer = http().post(f"{box.url}/dashboard/payments/{pi}/refund", data={"csrf_token": "forged"})
    assert answer.status_code == 303 and "failed=" in answer.headers["location"]
    assert box.stripe.v1.refunds.list({"payment_intent": pi}).data == []


def test_refunding_twice_says_why_instead_of_failing(box: RunningSandbox) -> None:
    pi = _paid(box, "ord_twice")
    action = f"/dashboard/payments/{pi}/refund"
    fields = _form(http().get(f"{box.url}/").text, action)
    http().post(f"{box.url}{action}", data=fields)
    again = http().post(f"{box.url}{action}", data=fields)
    assert again.status_code == 303
    assert "already been refunded" in http().get(f"{box.url}{again.headers['location']}").text


def test_the_resend_button_delivers_the_event_again(box: RunningSandbox, receiver: Receiver) -> None:
    # given a delivered event
    pi = box.stripe.v1.payment_intents.create({"amount": 500, "currency": "eur"}).id
    [event] = [
        e
        for e in box.stripe.v1.events.list({"type": "payment_intent.created", "limit": 5}).data
        if e.data.object.id == pi
    ]
    box.wait_deliveries(lambda rows: bool(rows) and rows[0]["status"] == "succeeded", event_id=event.id)
    page = http().get(f"{box.url}/").text
    start = page.index(f'name="event_id" value="{event.id}"')
    token = re.findall(r'name="csrf_token" value="([^"]+)"', page[:start])[-1]
    # when
    answer = http().post(
        f"{box.url}/dashboard/deliveries/resend",
        data={"csrf_token": token, "event_id": event.id, "endpoint_id": "forward_to"},
    )
    # then
    assert answer.status_code == 303 and "done=" in answer.headers["location"]
    receiver.wait_for(lambda rows: len([r for r in rows if r.event["id"] == event.id]) >= 2)


@pytest.mark.browser
def test_the_dashboard_renders_in_chromium(box: RunningSandbox, tmp_path: Path) -> None:
    """Also leaves a full-page picture for a human to look at (``SANDBOX_DASHBOARD_SCREENSHOT=path``)."""
    from tests.sandbox.pages_harness import CHROMIUM_ARGS, chromium_or_skip

    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{box.url}/")
            assert page.get_by_role("heading", name="Payments").is_visible()
            assert page.get_by_role("button", name="Refund").first.is_visible()
            target = os.environ.get("SANDBOX_DASHBOARD_SCREENSHOT") or str(tmp_path / "dashboard.png")
            page.screenshot(path=target, full_page=True)
        finally:
            browser.close()
