"""The pages in a real headless Chromium: the hosted Checkout page and the Stripe.js stand-in.

Playwright's auto-waiting (``expect``, ``wait_for_url``) is the only synchronisation. A test
shop on another origin (``merchant_site``) uses the Stripe.js stand-in like Stripe's docs do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.servers import bound_socket, serving

from .merchant_site import merchant_app
from .pages_harness import CHROMIUM_ARGS, PUBLISHABLE_KEY, Sandbox, chromium_or_skip, shop

pytestmark = pytest.mark.browser

__all__ = ["shop"]


@dataclass
class Merchant:
    url: str


@pytest.fixture(scope="module")
def merchant(shop: Sandbox) -> Iterator[Merchant]:
    sock, url = bound_socket()
    with serving((merchant_app(shop.url, PUBLISHABLE_KEY, shop.client), sock, "merchant")):
        yield Merchant(url)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_or_skip()
    with sync_playwright() as playwright:
        yield _launch(playwright, executable)


def _launch(playwright: Playwright, executable: str) -> Browser:
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)


@pytest.fixture(scope="module")
def context(browser: Browser) -> Iterator[BrowserContext]:
    """One context per module: Chromium takes ~0.7 s to make one, and these pages keep no cookies."""
    shared = browser.new_context()
    yield shared
    shared.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    tab.close()


def _session(shop: Sandbox, merchant: Merchant, **overrides: object) -> object:
    return shop.checkout_session(
        success_url=f"{merchant.url}/thanks?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{merchant.url}/cart",
        **overrides,
    )


def _fill_card(page: Page, number: str, expiry: str = "12 / 34", cvc: str = "123") -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry (MM / YY)").fill(expiry)
    page.get_by_label("CVC").fill(cvc)


# --- hosted Checkout page --------------------------------------------------------------------------


def test_a_buyer_pays_the_hosted_page_with_4242(shop: Sandbox, merchant: Merchant, page: Page) -> None:
    # given an open session opened in the browser
    session = _session(shop, merchant)
    page.goto(session.url)
    expect(page.get_by_text("Café Lumière").first).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("ann@example.com")
    # when the buyer types the card and presses Pay
    _fill_card(page, "4242 4242 4242 4242")
    page.get_by_label("Cardholder name").fill("Ann Example")
    page.get_by_role("button", name="Pay €34.00").click()
    # then the browser lands on the shop's success page with the session id, and it is paid
    page.wait_for_url(f"{merchant.url}/thanks?session_id={session.id}")
    expect(page.locator("#session")).to_have_text(session.id)
    assert shop.client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"


def test_a_decline_shows_inline_then_another_card_pays(shop: Sandbox, merchant: Merchant, page: Page) -> None:
    # given the buyer on the hosted page using the declined card
    session = _session(shop, merchant)
    page.goto(session.url)
    _fill_card(page, "4000 0000 0000 0002")
    page.get_by_label("Cardholder name").fill("Ann Example")
    page.get_by_role("button", name="Pay").click()
    # then the decline message is shown on the page, the number cleared, the name kept
    expect(page.get_by_test_id("payment-error")).to_have_text("Your card was declined.")
    expect(page.get_by_label("Card number")).to_have_value("")
    expect(page.get_by_label("Cardholder name")).to_have_value("Ann Example")
    # when they type a good card
    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_role("button", name="Pay").click()
    # then the payment goes through
    page.wait_for_url(f"{merchant.url}/thanks?session_id={session.id}")
    assert shop.client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"


def test_bad_input_is_explained_next_to_the_field(shop: Sandbox, merchant: Merchant, page: Page) -> None:
    session = _session(shop, merchant)
    page.goto(session.url)
    _fill_card(page, "4242 4242 4242 4242", cvc="12")
    page.get_by_label("Cardholder name").fill("Ann Example")
    page.get_by_role("button", name="Pay").click()
    expect(page.locator("#card_cvc-error")).to_have_text("Your card's security code is incomplete.")
    expect(page.get_by_label("Expiry (MM / YY)")).to_have_value("12 / 34")


def test_3ds_complete_in_the_browser(shop: Sandbox, merchant: Merchant, page: Page) -> None:
    # given a buyer paying with the card that needs authentication
    session = _session(shop, merchant)
    page.goto(session.url)
    _fill_card(page, "4000 0025 0000 3155")
    page.get_by_label("Cardholder name").fill("Ann Example")
    page.get_by_role("button", name="Pay").click()
    # when the challenge page appears and they complete it
    page.wait_for_url("**/3ds/pi_*")
    page.get_by_role("button", name="Complete authentication").click()
    # then they reach the success page and the session is paid
    page.wait_for_url(f"{merchant.url}/thanks?session_id={session.id}")
    assert shop.client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"


def test_the_sepa_tab_pays_by_iban(shop: Sandbox, merchant: Merchant, page: Page) -> None:
    session = _session(shop, merchant, payment_method_types=["card", "sepa_debit"])
    page.goto(session.url)
    page.get_by_text("SEPA Direct Debit").click()
    page.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 00")
    page.get_by_label("Account holder name").fill("Ann Example")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(f"{merchant.url}/thanks?session_id={session.id}")
    done = shop.client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "unpaid")


# --- the Stripe.js stand-in on the shop's own page ----------------------------------------------


def _fill_element(page: Page, number: str) -> None:
    element = page.locator("#card-element")
    element.get_by_label("Card number").fill(number)
    element.get_by_label("Expiration date MM / YY").fill("1234")
    element.get_by_label("CVC").fill("123")


def test_stripe_js_card_flow_without_authentication(shop: Sandbox, merchant: Merchant, page: Page) -> None:
    # given the shop's page with the card Element mounted
    page.goto(merchant.url)
    # when the buyer types 4242 and pays (createPaymentMethod, then server-side confirm)
    _fill_element(page, "4242424242424242")
    expect(page.locator("#card-element")).to_have_attribute("data-complete", "true")
    page.get_by_role("button", name="Pay").click()
    # then the PaymentIntent succeeded
    expect(page.locator("#result")).to_have_text("succeeded")
    pi_id = page.locator("#result").get_attribute("data-pi")
    assert shop.client.v1.payment_intents.retrieve(pi_id).status == "succeeded"


def test_stripe_js_handle_card_action_completes_3ds(shop: Sandbox, merchant: Merchant, page: Page) -> None:
    # given the buyer paying on the shop's page with the 3-D Secure card
    page.goto(merchant.url)
    _fill_element(page, "4000002500003155")
    page.get_by_role("button", name="Pay").click()
    # when handleCardAction shows the challenge and the buyer completes it
    challenge = page.frame_locator("iframe[name=stripe-challenge-frame]")
    challenge.get_by_role("button", name="Complete authentication").click()
    # then the modal closes, the server re-confirms, and the intent succeeded
    expect(page.locator("#result")).to_have_text("succeeded")
    expect(page.locator("[data-sandbox-3ds]")).to_have_count(0)
    pi_id = page.locator("#result").get_attribute("data-pi")
    assert shop.client.v1.payment_intents.retrieve(pi_id).status == "succeeded"
    # and the charge came from the server's confirm (an API request), not from the challenge page
    succeeded = [
        e
        for e in shop.client.v1.events.list({"type": "payment_intent.succeeded", "limit": 20}).data
        if e.data.object.id == pi_id
    ]
    assert len(succeeded) == 1 and succeeded[0].request.id is not None


def test_stripe_js_handle_card_action_reports_a_failed_authentication(
    shop: Sandbox, merchant: Merchant, page: Page
) -> None:
    page.goto(merchant.url)
    _fill_element(page, "4000002500003155")
    page.get_by_role("button", name="Pay").click()
    page.frame_locator("iframe[name=stripe-challenge-frame]").get_by_role("button", name="Fail authentication").click()
    expect(page.locator("#result")).to_have_text("error: payment_intent_authentication_failure")
    pi_id = page.locator("#result").get_attribute("data-pi")
    assert shop.client.v1.payment_intents.retrieve(pi_id).status == "requires_payment_method"


def test_stripe_js_reports_an_incomplete_card_like_stripe(merchant: Merchant, page: Page) -> None:
    # given the buyer typed half a card number
    page.goto(merchant.url)
    page.locator("#card-element").get_by_label("Card number").fill("4242 4242")
    expect(page.locator("#card-element")).to_have_attribute("data-complete", "false")
    # when they press Pay / then createPaymentMethod answers with Stripe's validation message
    page.get_by_role("button", name="Pay").click()
    expect(page.locator("#result")).to_have_text("error: Your card number is incomplete.")


def test_stripe_js_change_event_flags_an_invalid_number(merchant: Merchant, page: Page) -> None:
    page.goto(merchant.url)
    page.locator("#card-element").get_by_label("Card number").fill("4242424242424241")
    expect(page.locator("#card-errors")).to_have_text("Your card number is invalid.")


def test_stripe_js_confirm_card_payment_with_3ds(shop: Sandbox, merchant: Merchant, page: Page) -> None:
    # given a page holding a PaymentIntent's client secret
    page.goto(f"{merchant.url}/confirm")
    _fill_element(page, "4000002760003184")
    # when confirmCardPayment runs and the buyer completes the challenge
    page.get_by_role("button", name="Pay").click()
    page.frame_locator("iframe[name=stripe-challenge-frame]").get_by_role(
        "button", name="Complete authentication"
    ).click()
    # then the promise resolves with a succeeded intent
    expect(page.locator("#result")).to_have_text("succeeded")


def test_stripe_js_confirm_card_payment_reports_a_decline(merchant: Merchant, page: Page) -> None:
    page.goto(f"{merchant.url}/confirm")
    _fill_element(page, "4000000000009995")
    page.get_by_role("button", name="Pay").click()
    expect(page.locator("#result")).to_have_text("error: Your card has insufficient funds.")


def test_stripe_js_confirm_card_payment_with_a_payment_method_id(merchant: Merchant, page: Page) -> None:
    # given a page confirming with a PaymentMethod id instead of the card Element
    page.goto(f"{merchant.url}/confirm?pm=pm_card_visa")
    # when confirmCardPayment runs / then the intent succeeded
    page.get_by_role("button", name="Pay").click()
    expect(page.locator("#result")).to_have_text("succeeded")


def test_stripe_js_redirect_to_checkout_opens_the_hosted_page(shop: Sandbox, merchant: Merchant, page: Page) -> None:
    session = _session(shop, merchant)
    page.goto(f"{merchant.url}/redirect?session_id={session.id}")
    page.get_by_role("button", name="Checkout").click()
    page.wait_for_url(session.url)
    expect(page.get_by_role("button", name="Pay €34.00")).to_be_visible()
