"""The counter screen in a real headless Chromium against a real server: sign in on a phone, see the
board with the day's order, switch to French, sign out; a cross-site form refused; the session sliding through a
day on the server's clock; a second shop seeing nothing of the first.

Every page is checked with axe-core (no serious or critical violation) under the pages' CSP, with
every request off this machine blocked and every console error (CSP violations among them) failing
the test. Screenshots (phone and tablet, English and French) land in the test's temporary folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route, expect, sync_playwright

from comptoir.app import create_app
from comptoir.domain.actors import Role
from comptoir.services import accounts
from tests.api.support import FAST_HASHER, PASSWORD, Api, make_settings
from tests.sandbox.pages_harness import CHROMIUM_ARGS, chromium_or_skip
from tests.servers import bound_socket, serving
from tests.web.support import BAKER, BUTCHER, MovableClock, open_shop, pickup_order

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}
CHEF, BAKER_EMAIL = "chef@boucherie.example", "mie@boulangerie.example"
GRAVE = frozenset({"serious", "critical"})
DOCUMENT_STATUS = "Failed to load resource: the server responded with a status of"


@dataclass
class Counter:
    url: str
    clock: MovableClock
    order_number: str


@dataclass
class Tab:
    page: Page
    errors: list[str] = field(default_factory=list)
    left_the_machine: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.left_the_machine == [], f"requests left 127.0.0.1: {self.left_the_machine}"
        assert self.errors == [], f"console errors (CSP violations among them): {self.errors}"

    def assert_accessible(self) -> None:
        """axe-core on the page as it is now: no serious or critical violation."""
        violations = Axe().run(self.page).response["violations"]
        grave = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in violations if v["impact"] in GRAVE]
        assert grave == [], f"axe-core on {self.page.url}: {grave}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_or_skip()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def counter(sqlite_url: str, tmp_path: Path) -> Iterator[Counter]:
    """The shop as one real server on 127.0.0.1: a butcher with one order of the day, and a baker."""
    clock = MovableClock()
    sock, url = bound_socket()
    settings = make_settings(sqlite_url, tmp_path / "data", public_url=url)
    app = create_app(settings, hasher=FAST_HASHER, clock=clock)
    from tests.api.support import TestClient  # only to arrange data through the API, as a customer would

    with TestClient(app) as client:
        api = Api(client=client, uow=app.state.uow_factory, settings=settings)
        shop = open_shop(api, BUTCHER)
        open_shop(api, BAKER)
        accounts.create_user(api.uow(), FAST_HASHER, CHEF, PASSWORD, Role.MERCHANT, [BUTCHER], name="Paul")
        accounts.create_user(api.uow(), FAST_HASHER, BAKER_EMAIL, PASSWORD, Role.MERCHANT, [BAKER])
        order = pickup_order(
            api, BUTCHER, [(shop["pieces"], "2"), (shop["kg"], "0.750")], "jeanne@example.com", "Jeanne Martin"
        )
    with serving((app, sock, "shop")):
        yield Counter(url=url, clock=clock, order_number=order["number"])


def _tab(context: BrowserContext) -> Tab:
    page = context.new_page()
    page.set_default_timeout(15_000)
    tab = Tab(page)

    def only_this_machine(route: Route) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            tab.left_the_machine.append(route.request.url)
            route.abort()

    def on_console(message: ConsoleMessage) -> None:
        # a page answered with a 4xx on purpose (the refused form) is logged as an error too
        own_status = message.text.startswith(DOCUMENT_STATUS) and message.location.get("url") == page.url
        if message.type == "error" and not own_status:
            tab.errors.append(message.text)

    context.route("**/*", only_this_machine)
    page.on("console", on_console)
    page.on("pageerror", lambda error: tab.errors.append(str(error)))
    return tab


@pytest.fixture
def phone(browser: Browser) -> Iterator[Tab]:
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    yield _tab(context)
    context.close()


def _sign_in(tab: Tab, email: str) -> None:
    tab.page.get_by_label("Email").fill(email)
    tab.page.get_by_label("Password").fill(PASSWORD)
    tab.page.get_by_role("button", name="Sign in").click()


def test_a_merchant_signs_in_on_a_phone_sees_the_day_switches_to_french_and_signs_out(
    counter: Counter, phone: Tab, tmp_path: Path
) -> None:
    page = phone.page
    # when the merchant opens the counter screen on a phone: the sign-in page first
    page.goto(f"{counter.url}/merchant")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    phone.assert_accessible()
    page.screenshot(path=tmp_path / "phone-en-sign-in.png", full_page=True)
    _sign_in(phone, CHEF)
    # then today's order is on the board: who ordered, what, the total in money, and what is left to do
    expect(page).to_have_url(f"{counter.url}/merchant")
    card = page.get_by_test_id("card")
    expect(card).to_contain_text(counter.order_number)
    expect(card).to_contain_text("Jeanne Martin")
    expect(card).to_contain_text("0.750 kg Entrecôte")
    expect(card).to_contain_text("€29.00")
    expect(card).to_contain_text("To pay at pickup")
    expect(card).to_have_attribute("data-column", "new")
    phone.assert_accessible()
    page.screenshot(path=tmp_path / "phone-en-merchant.png", full_page=True)
    # when they press "Français"
    page.get_by_role("button", name="Français").click()
    # then the same screen speaks French, with French money and weights
    expect(page.get_by_role("heading", name="Commandes")).to_be_visible()
    expect(card).to_contain_text("29,00\u00a0€")
    expect(card).to_contain_text("0,750\u202fkg Entrecôte")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    phone.assert_accessible()
    page.screenshot(path=tmp_path / "phone-fr-merchant.png", full_page=True)
    # when they sign out
    page.get_by_role("button", name="Se déconnecter").click()
    # then the sign-in page says so, in French, and the counter screen is closed
    expect(page.get_by_role("status")).to_contain_text("Vous êtes déconnecté")
    phone.assert_accessible()
    page.screenshot(path=tmp_path / "phone-fr-sign-in.png", full_page=True)
    page.goto(f"{counter.url}/merchant")
    expect(page.get_by_role("heading", name="Se connecter")).to_be_visible()
    phone.assert_clean()


def test_the_tablet_screens_in_both_languages(counter: Counter, browser: Browser, tmp_path: Path) -> None:
    for language, sign_in_word in (("en-GB", "Sign in"), ("fr-FR", "Se connecter")):
        context = browser.new_context(viewport=TABLET, locale=language)
        tab = _tab(context)
        # when a merchant whose browser speaks this language signs in on a tablet
        tab.page.goto(f"{counter.url}/sign-in")
        expect(tab.page.get_by_role("heading", name=sign_in_word)).to_be_visible()
        tab.assert_accessible()
        tab.page.screenshot(path=tmp_path / f"tablet-{language[:2]}-sign-in.png", full_page=True)
        tab.page.locator("#email").fill(CHEF)
        tab.page.locator("#password").fill(PASSWORD)
        tab.page.locator("form.stacked button").click()
        # then the day's order shows, in that language, with no accessibility fault
        expect(tab.page.get_by_test_id("card")).to_contain_text(counter.order_number)
        tab.assert_accessible()
        tab.page.screenshot(path=tmp_path / f"tablet-{language[:2]}-merchant.png", full_page=True)
        tab.assert_clean()
        context.close()


def test_a_form_posted_from_another_site_is_refused_with_a_page_that_says_what_to_do(
    counter: Counter, phone: Tab
) -> None:
    # given a merchant signed in
    page = phone.page
    page.goto(f"{counter.url}/sign-in")
    _sign_in(phone, CHEF)
    expect(page.get_by_test_id("card")).to_be_visible()
    # when a page from elsewhere makes the browser post the sign-out form (no token, and the SameSite
    # cookie stays home)
    page.goto("about:blank")
    page.set_content(f'<form method="post" action="{counter.url}/sign-out"><button>go</button></form>')
    page.get_by_role("button", name="go").click()
    # then the shop refuses it with a clear page, not an error
    expect(page.get_by_test_id("problem")).to_contain_text("This form was out of date")
    phone.assert_accessible()
    # and the merchant is still signed in
    page.goto(f"{counter.url}/merchant")
    expect(page.get_by_test_id("card")).to_be_visible()


def test_the_session_slides_on_the_servers_clock(counter: Counter, phone: Tab) -> None:
    # given a merchant signed in at 9:00
    page = phone.page
    page.goto(f"{counter.url}/sign-in")
    _sign_in(phone, CHEF)
    expect(page.get_by_test_id("card")).to_be_visible()
    # when the screen is reloaded every 11 hours, it stays signed in
    for _ in range(2):
        counter.clock.advance(hours=11)
        page.reload()
        expect(page.get_by_test_id("board")).to_be_visible()
    # and when it is left alone for more than 12 hours, it asks to sign in again, then comes back here
    counter.clock.advance(hours=12, minutes=1)
    page.reload()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    _sign_in(phone, CHEF)
    expect(page).to_have_url(f"{counter.url}/merchant")


def test_a_second_shops_merchant_sees_nothing_of_the_first(counter: Counter, phone: Tab) -> None:
    # when the baker signs in
    phone.page.goto(f"{counter.url}/sign-in")
    _sign_in(phone, BAKER_EMAIL)
    # then the baker's screen is empty of the butcher's order
    expect(phone.page.get_by_test_id("board")).to_be_visible()
    expect(phone.page.get_by_test_id("card")).to_have_count(0)
    expect(phone.page.get_by_test_id("shop-name")).to_have_text("Boulangerie Martin")
    assert counter.order_number not in phone.page.content() and "Jeanne" not in phone.page.content()
    phone.assert_clean()


def test_the_customer_landing_and_staff_only_pages_pass_axe(counter: Counter, phone: Tab) -> None:
    # the landing page's problem variant (an unknown order) and the customer's "staff only" page
    phone.page.goto(f"{counter.url}/checkout/cancel?order_id=ord_unknown")
    expect(phone.page.get_by_test_id("problem")).to_be_visible()
    phone.assert_accessible()
    phone.page.goto(f"{counter.url}/language/fr?next=/checkout/cancel%3Forder_id%3Dord_unknown")
    expect(phone.page.get_by_role("heading", name="Nous ne pouvons pas afficher cette commande")).to_be_visible()
    phone.assert_accessible()


def test_htmx_is_served_from_here_and_its_requests_carry_the_token(counter: Counter, phone: Tab) -> None:
    # given a merchant signed in, on a page that loaded the vendored htmx
    page = phone.page
    page.goto(f"{counter.url}/sign-in")
    _sign_in(phone, CHEF)
    expect(page.get_by_test_id("card")).to_be_visible()
    page.wait_for_load_state("load")  # the deferred script has run
    expect(page.get_by_test_id("link")).to_have_attribute("data-state", "live")  # the board's first read is done
    assert page.evaluate("htmx.version") == "2.0.11"
    # when htmx posts the sign-out (the token comes from the layout's hx-headers, not from a form)
    page.evaluate("htmx.ajax('POST', '/sign-out', {source: document.body, target: 'main'})")
    # then the shop accepts it and htmx follows the redirect to the sign-in page
    expect(page.get_by_role("status")).to_contain_text("You are signed out")
    phone.assert_clean()
