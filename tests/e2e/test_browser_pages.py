"""comptoir's own pages in a real headless Chromium, under their Content-Security-Policy, offline.

The shop and the sandbox are real servers (`running_stack`). Every request that would leave
127.0.0.1 is blocked and recorded, and every console error (Chromium reports each CSP violation
there) fails the test: the API docs must render from the package, and the customer pages must work
with no inline script or style. Each page is also saved as a phone-sized screenshot in the test's
temporary folder, for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect, sync_playwright

from comptoir.domain.actors import Role
from tests.e2e.checkout.stack import EXPIRY_WAIT, Stack, running_stack
from tests.factories import add_user
from tests.sandbox.pages_harness import CHROMIUM_ARGS, chromium_or_skip
from tests.servers import Buyer

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SUCCEEDS = "4242 4242 4242 4242"
RENDER_DEADLINE_MS = 30_000
DOCUMENT_STATUS = "Failed to load resource: the server responded with a status of"
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
"""ReDoc's footer always asks for its logo from its CDN (no option turns it off); the policy blocks it."""


@dataclass
class Watched:
    """A tab whose console errors and off-machine requests are recorded."""

    page: Page
    errors: list[str] = field(default_factory=list)
    left_the_machine: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.left_the_machine == [], f"requests left 127.0.0.1: {self.left_the_machine}"
        assert self.errors == [], f"console errors (CSP violations among them): {self.errors}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_or_skip()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def stack(sqlite_url: str, tmp_path: Path) -> Iterator[Stack]:
    with running_stack(sqlite_url, tmp_path / "shop") as running:
        yield running


@pytest.fixture
def tab(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    watched = Watched(page)

    def only_this_machine(route: Route) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            watched.left_the_machine.append(route.request.url)
            route.abort()

    def on_console(message: ConsoleMessage) -> None:
        # a page answered with a 4xx status on purpose (the problem page) is logged as an error too
        own_status = message.text.startswith(DOCUMENT_STATUS) and message.location.get("url") == page.url
        if message.type == "error" and not own_status:
            watched.errors.append(message.text)

    context.route("**/*", only_this_machine)
    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    yield watched
    context.close()


def test_swagger_ui_renders_the_operations_with_no_network_and_no_csp_violation(
    stack: Stack, tab: Watched, tmp_path: Path
) -> None:
    # when /docs is opened with every request off this machine blocked
    tab.page.goto(f"{stack.shop_url}/docs")
    # then Swagger UI lists the operations, loaded from the package under the page's policy
    expect(tab.page.get_by_text("Place an order: the server prices it and holds the stock").first).to_be_visible()
    expect(tab.page.locator(".opblock-summary-path", has_text="/api/orders/{order_id}").first).to_be_visible()
    tab.page.screenshot(path=tmp_path / "docs.png")
    tab.assert_clean()


def test_redoc_renders_the_operations_with_no_network_and_no_csp_violation(
    stack: Stack, tab: Watched, tmp_path: Path
) -> None:
    # when /redoc is opened with every request off this machine blocked
    tab.page.goto(f"{stack.shop_url}/redoc")
    # then ReDoc shows the operations (it reads the whole document first: allow a slow shared machine time)
    expect(tab.page.get_by_text("Place an order: the server prices it and holds the stock").first).to_be_attached(
        timeout=RENDER_DEADLINE_MS
    )
    expect(tab.page.get_by_text("Your orders, newest first").first).to_be_attached()
    tab.page.screenshot(path=tmp_path / "redoc.png")
    # and the one thing it would fetch from elsewhere, its maker's logo, is blocked by the policy, not loaded
    assert [error for error in tab.errors if REDOC_LOGO in error and "img-src" in error] != []
    tab.errors[:] = [error for error in tab.errors if REDOC_LOGO not in error]
    tab.assert_clean()


def test_the_customer_pages_work_under_their_policy(stack: Stack, tab: Watched, tmp_path: Path) -> None:
    # given an unpaid order with an open payment page
    shop, product = stack.shop()
    customer = stack.customer()
    order = stack.place_order(customer, shop, product)
    session = stack.start_checkout(customer, order["id"])
    # when the customer comes back from the payment page without paying
    tab.page.goto(f"{stack.shop_url}/checkout/cancel?order_id={order['id']}")
    # then the page is styled by its stylesheet (the policy allows no inline style) and offers to resume
    expect(tab.page.get_by_role("heading", name="You have not paid yet")).to_be_visible()
    assert tab.page.eval_on_selector("main", "main => getComputedStyle(main).borderTopLeftRadius") == "12px"
    tab.page.screenshot(path=tmp_path / "cancel-unpaid.png", full_page=True)
    tab.assert_clean()
    # and its link takes the customer back to the payment page on the other origin
    tab.page.get_by_test_id("resume").click()
    tab.page.wait_for_url(f"{session['url']}*")

    # when the customer pays (without a browser) and opens the success page
    buyer = Buyer()
    try:
        buyer.follow(buyer.pay_card(session["url"], SUCCEEDS))
    finally:
        buyer.close()
    tab.errors.clear()
    tab.page.goto(f"{stack.shop_url}/checkout/success?session_id={session['id']}")
    # then it says so, with no violation either
    expect(tab.page.get_by_role("heading", name="Thank you, your payment is confirmed")).to_be_visible()
    tab.page.screenshot(path=tmp_path / "success-paid.png", full_page=True)
    tab.assert_clean()

    # when a link is broken, the problem page is just as clean
    tab.page.goto(f"{stack.shop_url}/checkout/success?session_id=")
    expect(tab.page.get_by_role("heading", name="We could not show this order")).to_be_visible()
    tab.page.screenshot(path=tmp_path / "problem.png", full_page=True)
    tab.assert_clean()


def test_the_cancel_page_of_a_cancelled_order_works_under_its_policy(
    stack: Stack, tab: Watched, tmp_path: Path
) -> None:
    # given an order the customer cancelled
    shop, product = stack.shop()
    customer = stack.customer()
    order = stack.place_order(customer, shop, product)
    assert stack.http.post(f"/api/orders/{order['id']}/cancel", headers=customer.headers).status_code == 200
    # when they open the cancel page, then it says what happened
    tab.page.goto(f"{stack.shop_url}/checkout/cancel?order_id={order['id']}")
    expect(tab.page.get_by_test_id("cancelled-by")).to_have_text("You cancelled this order.")
    tab.page.screenshot(path=tmp_path / "cancel-cancelled.png", full_page=True)
    tab.assert_clean()


def test_every_cancelled_landing_case_reads_well_at_phone_width_under_its_policy(
    stack: Stack, tab: Watched, tmp_path: Path
) -> None:
    # given a shop with its merchant, and orders cancelled each way a customer can find them
    shop, product = stack.shop(stock=20)
    merchant = add_user(stack.uows, role=Role.MERCHANT, shops=[shop])
    login = stack.http.post("/api/auth/login", json={"email": merchant.email, "password": "pw"})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    customer = stack.customer()
    unpaid_refused, paid_refused, expired = (stack.place_order(customer, shop, product)["id"] for _ in range(3))
    long_reason = (
        "Nous n'avons plus d'entrecôte maturée ce samedi: la livraison du fournisseur n'est pas arrivée, "
        "repassez commande la semaine prochaine ou appelez-nous au 01 23 45 67 89"
    )
    buyer = Buyer()
    try:
        buyer.follow(buyer.pay_card(stack.start_checkout(customer, paid_refused)["url"], SUCCEEDS))
    finally:
        buyer.close()
    stack.wait_order(paid_refused, "the order paid by webhook", lambda state: state.payment_status == "paid")
    for order_id, reason in ((unpaid_refused, long_reason), (paid_refused, "rupture de stock")):
        refused = stack.http.post(f"/api/merchant/orders/{order_id}/refuse", headers=headers, json={"reason": reason})
        assert refused.status_code == 200, refused.text
    stack.start_checkout(customer, expired)
    stack.advance(EXPIRY_WAIT)
    stack.settle()
    stack.wait_order(expired, "the order to expire", lambda state: state.status == "cancelled")
    cases = {
        "cancel-refused-unpaid": (unpaid_refused, "Not paid", long_reason),
        "cancel-refused-refunded": (paid_refused, "Refunded", "rupture de stock"),
        "cancel-expired": (expired, "Not paid", None),
    }
    for name, (order_id, badge, reason) in cases.items():
        # when the customer opens its cancel page on a phone
        tab.page.goto(f"{stack.shop_url}/checkout/cancel?order_id={order_id}")
        # then it shows the statuses in words, the shop's reason when it gave one, and nothing overflows
        expect(tab.page.get_by_test_id("payment-status")).to_have_text(badge)
        expect(tab.page.get_by_test_id("order-status")).to_have_text("Cancelled")
        if reason is None:
            expect(tab.page.get_by_test_id("refusal-reason")).to_have_count(0)
        else:
            expect(tab.page.get_by_test_id("refusal-reason")).to_contain_text(reason)
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
        tab.page.screenshot(path=tmp_path / f"{name}.png", full_page=True)
        tab.assert_clean()
