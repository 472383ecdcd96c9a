"""The counter board in a real headless Chromium, against the shop and the real sandbox as uvicorn
servers: a merchant signs in on a phone and turns the sound on; a customer pays on the sandbox's
hosted page in another browser; the board rings until "Vu", on every screen of the shop; a refusal
refunds in the sandbox; a pay-at-pickup order goes ready and is collected with its pickup code and
the cash taken; a dropped stream comes back without losing the order placed meanwhile; another
shop's board stays silent.

axe-core on every state, no console error, no request off this machine. Screenshots (phone and
tablet, French) land in the test's temporary folder (the guide's come from scripts/merchant_screenshots.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from comptoir.domain.actors import Role
from comptoir.domain.catalog import Unit
from comptoir.services.views import ShopView
from comptoir.web import board_pages
from tests.e2e.checkout.stack import Customer, Stack, running_stack
from tests.e2e.web.test_counter_pages_in_chromium import PHONE, TABLET, Tab, _tab
from tests.factories import add_product, add_shop, add_user
from tests.sandbox.pages_harness import CHROMIUM_ARGS, chromium_or_skip
from tests.support.rows import order_row
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_or_skip()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=[*CHROMIUM_ARGS, "--autoplay-policy=user-gesture-required"]
        )
        yield launched
        launched.close()


@pytest.fixture
def stack(sqlite_url: str, tmp_path: Path) -> Iterator[Stack]:
    with running_stack(sqlite_url, tmp_path / "shop") as running:
        yield running


def _butcher(stack: Stack) -> tuple[ShopView, int, str]:
    shop = add_shop(stack.uows, slug="boucherie-dupont", on_pickup=True, pickup=True, delivery=False)
    product = add_product(stack.uows, shop, name="Merguez", unit_price=250, stock=50)
    merchant = add_user(stack.uows, role=Role.MERCHANT, shops=[shop])
    return shop, product.id, merchant.email


def _order(stack: Stack, customer: Customer, shop: ShopView, product_id: int, method: str) -> dict[str, Any]:
    answer = stack.http.post(
        "/api/orders",
        headers=customer.headers,
        json={
            "shop": shop.slug,
            "lines": [{"product_id": product_id, "quantity": 2}],
            "payment_method": method,
            "pickup": {"note": "samedi 10h"},
        },
    )
    assert answer.status_code == 201, answer.text
    order: dict[str, Any] = answer.json()
    return order


def _open_board(tab: Tab, stack: Stack, email: str) -> Page:
    page = tab.page
    page.goto(f"{stack.shop_url}/merchant")
    page.locator("#email").fill(email)
    page.locator("#password").fill("pw")
    page.locator("form.stacked button").click()
    expect(page.get_by_test_id("board")).to_be_visible()
    expect(page.get_by_test_id("link")).to_have_attribute("data-state", "live")
    return page


def _card(page: Page, number: str) -> Any:
    return page.locator(f'li.card[data-number="{number}"]')


def _ringing(page: Page) -> bool:
    return bool(page.evaluate("document.body.dataset.ringing === 'yes' && !document.getElementById('ring').paused"))


def test_a_paid_order_rings_until_seen_and_a_refusal_refunds_it_in_the_sandbox(
    stack: Stack, browser: Browser, tmp_path: Path
) -> None:
    # given a butcher's merchant on a phone, in French, who turned the sound on; and a baker's merchant
    shop, product_id, chef = _butcher(stack)
    baker_shop = add_shop(stack.uows, slug="boulangerie-martin", pickup=True)
    baker = add_user(stack.uows, role=Role.MERCHANT, shops=[baker_shop])
    counter = _tab(browser.new_context(viewport=PHONE, locale="fr-FR"))
    page = _open_board(counter, stack, chef)
    elsewhere = _tab(browser.new_context(viewport=PHONE, locale="fr-FR"))
    other = _open_board(elsewhere, stack, baker.email)
    # and the butcher's tablet in the back room, on the same board with its sound on
    back_room = _tab(browser.new_context(viewport=TABLET, locale="fr-FR"))
    tablet = _open_board(back_room, stack, chef)
    tablet.get_by_test_id("enable-sound").click()
    page.get_by_test_id("enable-sound").click()
    expect(page.get_by_test_id("enable-sound")).to_have_attribute("aria-pressed", "true")
    counter.assert_accessible()
    assert not _ringing(page)
    # when a customer pays for an order on the sandbox's hosted page, in another browser
    customer = stack.customer()
    order = _order(stack, customer, shop, product_id, "online")
    session = stack.start_checkout(customer, order["id"])
    buyer = browser.new_context(viewport=PHONE, locale="fr-FR").new_page()
    buyer.goto(session["url"])
    buyer.get_by_label("Card number").fill("4242 4242 4242 4242")
    buyer.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    buyer.get_by_label("CVC").fill("123")
    buyer.get_by_label("Cardholder name").fill("Jeanne Martin")
    buyer.get_by_role("button", name="Pay").click()
    # then the board shows it as new, highlighted, and rings
    card = _card(page, order["number"])
    expect(card).to_have_attribute("data-column", "new")
    expect(card).to_have_class("card arrived")
    expect(card.get_by_test_id("payment")).to_have_text("Payée en ligne")
    wait_until(lambda: _ringing(page), "the ring playing")
    assert int(page.evaluate("document.getElementById('ring').dataset.started")) >= 1
    expect(page.get_by_test_id("count-new")).to_have_text("1")
    counter.assert_accessible()
    page.screenshot(path=tmp_path / "phone-fr-board-new.png", full_page=True)
    # and the baker's board, open all along, heard nothing of it
    expect(other.get_by_test_id("count-new")).to_have_text("0")
    assert order["number"] not in other.content()
    wait_until(lambda: _ringing(tablet), "the back room's ring playing")
    # when someone taps "Vu" on the phone
    card.get_by_test_id("seen").click()
    # then it moves to "to prepare" and the ringing stops, on the phone and in the back room
    expect(card).to_have_attribute("data-column", "to_prepare")
    wait_until(lambda: not _ringing(page), "the ring stopped")
    expect(_card(tablet, order["number"])).to_have_attribute("data-column", "to_prepare")
    wait_until(lambda: not _ringing(tablet), "the back room's ring stopped")
    # when they refuse it, out of stock (the default reason), and confirm
    card.get_by_text("Refuser…").click()
    expect(card.get_by_test_id("refuse-confirm")).to_be_visible()
    counter.assert_accessible()
    page.screenshot(path=tmp_path / "phone-fr-board-refuse.png", full_page=True)
    card.get_by_test_id("refuse-confirm").click()
    # then the card leaves the board, and the sandbox refunded the payment in full
    expect(card).to_have_count(0)
    intent_id = stack.stripe.v1.checkout.sessions.retrieve(session["id"]).payment_intent
    assert isinstance(intent_id, str)
    refunds = wait_until(lambda: stack.stripe.v1.refunds.list({"payment_intent": intent_id}).data, "the refund")
    assert [(refund.amount, refund.status) for refund in refunds] == [(500, "succeeded")]
    assert order_row(stack.uows, order["id"], "status") == ("cancelled",)
    counter.assert_clean()
    elsewhere.assert_clean()
    back_room.assert_clean()


def test_pay_at_pickup_goes_ready_and_is_collected_with_its_code_and_the_cash_taken(
    stack: Stack, browser: Browser, tmp_path: Path
) -> None:
    # given the merchant's board on a tablet, in French, and a pay-at-pickup order of 2 merguez (5.00 €)
    shop, product_id, chef = _butcher(stack)
    counter = _tab(browser.new_context(viewport=TABLET, locale="fr-FR"))
    page = _open_board(counter, stack, chef)
    order = _order(stack, stack.customer(), shop, product_id, "on_pickup")
    card = _card(page, order["number"])
    expect(card.get_by_test_id("payment")).to_have_text("À payer au retrait")
    card.get_by_test_id("seen").click()
    expect(card).to_have_attribute("data-column", "to_prepare")
    # when it is prepared and marked ready
    card.get_by_test_id("ready").click()
    # then it waits in "ready", and the customer was told
    expect(card).to_have_attribute("data-column", "ready")
    wait_until(lambda: any("ready" in topic for topic, *_ in stack.messages(order["id"])), "the ready message")
    counter.assert_accessible()
    # when the customer comes, says a wrong code, and the merchant hands over for cash
    card.get_by_text("Retirée…").click()
    code = order_row(stack.uows, order["id"], "pickup_code")[0]
    card.get_by_test_id("code").fill("0000" if code != "0000" else "1111")
    expect(card.get_by_test_id("amount")).to_have_value("5,00")  # as a French keypad types it
    card.get_by_test_id("cash").check()
    page.screenshot(path=tmp_path / "tablet-fr-board-collect.png", full_page=True)
    counter.assert_accessible()
    card.get_by_test_id("collect-confirm").click()
    # then it is refused in words, nothing recorded
    expect(card.get_by_test_id("trouble")).to_contain_text("Ce n’est pas le code de retrait")
    assert order_row(stack.uows, order["id"]) == ("ready", "unpaid")
    # when the right code is typed (the dialog stayed open, cash still chosen)
    expect(card.get_by_test_id("cash")).to_be_checked()
    card.get_by_test_id("code").fill(code)
    card.get_by_test_id("collect-confirm").click()
    # then the order is paid at the counter and collected today
    expect(card).to_have_attribute("data-column", "collected")
    expect(card.get_by_test_id("payment")).to_have_text("Payée au comptoir")
    assert order_row(stack.uows, order["id"]) == ("completed", "paid")
    counter.assert_accessible()
    page.screenshot(path=tmp_path / "tablet-fr-board.png", full_page=True)
    counter.errors[:] = [e for e in counter.errors if "409 (Conflict)" not in e]  # the wrong code, on purpose
    counter.assert_clean()


def test_a_dropped_stream_comes_back_without_losing_the_order_placed_meanwhile(stack: Stack, browser: Browser) -> None:
    # given the merchant's board, in English
    shop, product_id, chef = _butcher(stack)
    counter = _tab(browser.new_context(viewport=PHONE, locale="en-GB"))
    page = _open_board(counter, stack, chef)
    # when the connection drops, and cannot come back for now
    page.route("**/merchant/board/events**", lambda route: route.abort())
    page.evaluate("window.comptoirBoard.drop()")
    # then the board says so plainly
    expect(page.get_by_test_id("link")).to_have_attribute("data-state", "lost")
    expect(page.get_by_test_id("link")).to_contain_text("Connection lost")
    counter.assert_accessible()
    # when an order is placed while the board is cut off, then the connection comes back
    order = _order(stack, stack.customer(), shop, product_id, "on_pickup")
    assert order["number"] not in page.content()
    page.unroute("**/merchant/board/events**")
    # then the board says it is back, and the order is there, new
    expect(page.get_by_test_id("link")).to_have_attribute("data-state", "back", timeout=20_000)
    expect(_card(page, order["number"])).to_have_attribute("data-column", "new")
    counter.errors[:] = [e for e in counter.errors if "ERR_FAILED" not in e]  # the aborted requests, on purpose
    counter.assert_clean()


def test_a_stream_the_server_ends_resumes_quietly_and_misses_nothing(
    stack: Stack, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given streams that the server ends after a second (in production, after five minutes)
    monkeypatch.setattr(board_pages, "STREAM_SECONDS", 1.0)
    shop, product_id, chef = _butcher(stack)
    counter = _tab(browser.new_context(viewport=PHONE, locale="en-GB"))
    page = _open_board(counter, stack, chef)
    page.evaluate(
        "window.states = [];"
        "new MutationObserver(() => window.states.push(document.getElementById('link').dataset.state))"
        ".observe(document.getElementById('link'), {attributes: true})"
    )

    def streams() -> int:
        return int(page.evaluate(STREAMS_OPENED))

    # when the server has ended the stream a few times, and an order arrives in between
    wait_until(lambda: streams() >= 3, "the board reconnecting twice")
    order = _order(stack, stack.customer(), shop, product_id, "on_pickup")
    reconnected = streams()
    wait_until(lambda: streams() >= reconnected + 2, "the board reconnecting twice more")
    # then the order is on the board, and the banner never said the connection was lost
    expect(_card(page, order["number"])).to_have_attribute("data-column", "new")
    assert "lost" not in page.evaluate("window.states")
    expect(page.get_by_test_id("link")).to_have_attribute("data-state", "live")
    counter.assert_clean()


STREAMS_OPENED = (
    "performance.getEntriesByType('resource').filter(entry => entry.name.includes('/merchant/board/events')).length"
)


def test_a_card_authorisation_counts_down_and_is_flagged_the_day_before_its_deadline(
    stack: Stack, browser: Browser, tmp_path: Path
) -> None:
    # given a butcher that captures by weight, and a card that authorised 1.500 kg of entrecôte
    shop = add_shop(stack.uows, slug="boucherie-dupont", capture_manually=True, capture_margin_percent=10)
    beef = add_product(stack.uows, shop, name="Entrecôte", unit=Unit.KG, unit_price=3290, stock=20)
    chef = add_user(stack.uows, role=Role.MERCHANT, shops=[shop]).email
    customer = stack.customer()
    placed = stack.http.post(
        "/api/orders",
        headers=customer.headers,
        json={
            "shop": shop.slug,
            "lines": [{"product_id": beef.id, "quantity": "1.500"}],
            "payment_method": "online",
            "delivery_address": {"line1": "1 rue de la Paix", "city": "Paris", "postal_code": "75002"},
        },
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    paid = stack.http.post(
        f"/api/orders/{order['id']}/pay", headers=customer.headers, json={"payment_method_id": "pm_card_visa"}
    )
    assert paid.status_code == 200 and paid.json()["status"] == "authorized", paid.text
    # when the merchant opens the board six days and some hours later
    stack.advance(6 * 24 * 3600 + 2 * 3600)
    counter = _tab(browser.new_context(viewport=PHONE, locale="fr-FR"))
    page = _open_board(counter, stack, chef)
    # then the card says what the card holds and that the deadline is tomorrow, and the box above says what to do
    card = _card(page, order["number"])
    expect(card.get_by_test_id("payment")).to_have_text("Carte autorisée")
    expect(card.get_by_test_id("capture-before")).to_contain_text("(demain)")
    expect(page.get_by_test_id("due-soon")).to_contain_text(order["number"])
    expect(page.get_by_test_id("due-soon").get_by_role("link").first).to_have_attribute(
        "href", f"/merchant/orders/{order['id']}/weigh?after=board"
    )
    counter.assert_accessible()
    page.screenshot(path=tmp_path / "phone-fr-board-due-soon.png", full_page=True)
    counter.assert_clean()
