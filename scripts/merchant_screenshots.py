"""Screenshots of the counter screens for the merchant's guide (docs/merchant.md), in French, on a phone
(390×844) and a tablet (1024×768).

It runs the real shop and the real Stripe sandbox as two local servers on a temporary SQLite database
(the browser tests' `running_stack`), sets up a butcher's shop as `comptoir create-shop` would, lets
customers order and pay through the API and the sandbox, and drives Debian's Chromium through
Playwright as a merchant would: sign in, turn the sound on, "Vu", the collect dialog, weighing, the
end of day. Nothing leaves the machine; the temporary folder is deleted at the end.

Run it from the repository root, with the project's virtualenv (it reuses the browser tests' helpers):

    .venv/bin/python scripts/merchant_screenshots.py --out docs/images/merchant
"""

from __future__ import annotations

import argparse
import logging
import shutil
import struct
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tests.…`: the browser tests' stack and tab helpers

from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright  # noqa: E402

from comptoir.adapters.db.migrate import upgrade  # noqa: E402
from comptoir.domain.actors import Actor, Role  # noqa: E402
from comptoir.domain.shop_settings import ShopSettings  # noqa: E402
from comptoir.services import accounts, catalog, shops  # noqa: E402
from comptoir.services.catalog import NewProduct  # noqa: E402
from tests.e2e.checkout.stack import Stack, running_stack  # noqa: E402
from tests.e2e.web.test_counter_pages_in_chromium import PHONE, TABLET, Tab, _tab  # noqa: E402
from tests.factories import FakeHasher  # noqa: E402
from tests.sandbox.pages_harness import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support import wait_until  # noqa: E402

SLUG = "boucherie-dupont"
MERCHANT = "paul@boucherie-dupont.fr"
PASSWORD = "comptoir-demo"


@dataclass
class Customer:
    name: str
    headers: dict[str, str]


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Take the merchant guide's screenshots (French; phone 390×844 and tablet 1024×768) from the "
        "real app and sandbox on a temporary SQLite database, with Debian's Chromium driven by Playwright. "
        "Run from the repository root with .venv/bin/python.",
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "images" / "merchant", help="folder for the PNG files"
    )
    parser.add_argument("--chromium", default=CHROMIUM, help=f"the Chromium binary (default {CHROMIUM})")
    args = parser.parse_args()
    if shutil.which(args.chromium) is None:
        print(f"error: {args.chromium} is missing (apt-get install chromium)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="comptoir-shots-") as folder:
        database = f"sqlite:///{Path(folder) / 'comptoir.sqlite3'}"
        upgrade(database)
        with (
            running_stack(database, Path(folder) / "data") as stack,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(
                executable_path=args.chromium,
                args=[*CHROMIUM_ARGS, "--autoplay-policy=user-gesture-required"],
            )
            try:
                written = Shots(stack, browser, args.out, Path(folder)).take()
            finally:
                browser.close()
    for path in written:
        print(f"{path}  {path.stat().st_size // 1024} KB")
    return 0


class Shots:
    def __init__(self, stack: Stack, browser: Browser, out: Path, scratch: Path) -> None:
        self.stack = stack
        self.browser = browser
        self.out = out
        self.scratch = scratch
        self.written: list[Path] = []

    # --- the story ------------------------------------------------------------------------------------

    def take(self) -> list[Path]:
        logging.getLogger().setLevel(logging.WARNING)  # the servers' request lines: not what this script is about
        merchant = self.open_shop()
        products = self.add_products(merchant)
        phone, tablet = self.signed_in(PHONE), self.signed_in(TABLET)

        # Setting up: the shop's settings and its products, as the merchant sees them
        self.pictures(phone.page, products)
        for tab, name in ((phone, "phone"), (tablet, "tablet")):
            tab.page.goto(f"{self.stack.shop_url}/merchant/shop")
            self.shot(tab.page, f"{name}-fr-shop-settings", full_page=True)
            tab.page.goto(f"{self.stack.shop_url}/merchant/products")
            self.shot(tab.page, f"{name}-fr-products", full_page=True)
        phone.page.goto(f"{self.stack.shop_url}/merchant/products/{products['Côte de bœuf']}")
        self.shot(phone.page, "phone-fr-product", full_page=True)

        # The morning's orders: one collected and paid by card at the counter, one ready to pay in cash,
        # one authorised by card and seen, waiting to be weighed
        marc, karim, sophie, jeanne = (
            self.customer("Marc Dubois"),
            self.customer("Karim Benali"),
            self.customer("Sophie Lefèvre"),
            self.customer("Jeanne Martin"),
        )
        api = self.merchant_api()
        early = self.order(marc, "on_pickup", "Samedi 9 h", [(products["Poulet fermier"], 1), (products["Terrine"], 2)])
        self.post(api, f"/api/merchant/orders/{early['id']}/ready")
        self.post(api, f"/api/merchant/orders/{early['id']}/collect", {"method": "card_terminal", "amount": 2790})
        cash = self.order(karim, "on_pickup", "Samedi 10 h", [(products["Merguez"], 6), (products["Terrine"], 1)])
        self.post(api, f"/api/merchant/orders/{cash['id']}/ready")
        weighed = self.order(
            sophie, "online", "Samedi 11 h", [(products["Côte de bœuf"], "1.200"), (products["Merguez"], 4)]
        )
        self.pay(sophie, weighed)
        for tab in (phone, tablet):
            tab.page.goto(f"{self.stack.shop_url}/merchant")
            expect(tab.page.get_by_test_id("link")).to_have_attribute("data-state", "live")
        self.card(phone.page, weighed).get_by_test_id("seen").click()
        for tab in (phone, tablet):
            expect(self.card(tab.page, weighed)).to_have_attribute("data-column", "to_prepare")
            tab.page.get_by_test_id("enable-sound").click()

        # A new order arrives while both screens are open: it rings until "Vu"
        ringing = self.order(
            jeanne, "online", "Samedi 11 h 30", [(products["Entrecôte"], "0.800"), (products["Terrine"], 1)]
        )
        self.pay(jeanne, ringing)
        for tab, name in ((phone, "phone"), (tablet, "tablet")):
            expect(self.card(tab.page, ringing)).to_have_attribute("data-column", "new")
            wait_until(lambda page=tab.page: self.ringing(page), "the board ringing")
            tab.page.evaluate("window.scrollTo(0, 0)")
            self.shot(tab.page, f"{name}-fr-board-new", full_page=name == "phone")

        # Karim comes for his order: the collect dialog, his code typed, paid in cash
        code = self.pickup_code(cash)
        for tab, name in ((phone, "phone"), (tablet, "tablet")):
            card = self.card(tab.page, cash)
            card.get_by_text("Retirée…").click()
            card.get_by_test_id("code").fill(code)
            card.get_by_test_id("cash").check()
            if name == "phone":  # the whole card, its dialog open: taller than the phone's screen
                self.shot(card, f"{name}-fr-board-collect")
            else:  # the board, the card's dialog open in its column
                self.shot(tab.page, f"{name}-fr-board-collect", full_page=True)
        self.card(phone.page, cash).get_by_test_id("collect-confirm").click()
        for tab in (phone, tablet):
            expect(self.card(tab.page, cash)).to_have_attribute("data-column", "collected")

        # Sophie's côte de bœuf weighs 1.150 kg: the new total, under what the card holds
        for tab, name in ((phone, "phone"), (tablet, "tablet")):
            page = tab.page
            page.goto(f"{self.stack.shop_url}/merchant")
            self.card(page, weighed).get_by_test_id("weigh").click()
            page.locator("input[name^='weight-']").fill("1,150")
            if name == "phone":
                self.shot(page, "phone-fr-weigh-scale", full_page=True)
            page.get_by_role("button", name="Voir le nouveau total").click()
            expect(page.get_by_test_id("new-total")).to_have_text("54,85\u00a0€")
            self.shot(page, f"{name}-fr-weigh", full_page=True)
        tablet.page.get_by_test_id("confirm").click()  # weighed from the board: back on the board, ready
        expect(self.card(tablet.page, weighed)).to_have_attribute("data-column", "ready")
        self.post(api, f"/api/merchant/orders/{weighed['id']}/complete")
        self.post(
            api,
            f"/api/merchant/orders/{weighed['id']}/refunds",
            {"amount": 250, "reason": "Une merguez manquante"},
        )

        # The end of the day
        for tab, name in ((phone, "phone"), (tablet, "tablet")):
            tab.page.goto(f"{self.stack.shop_url}/merchant/day")
            expect(tab.page.get_by_test_id("takings")).to_be_visible()
            self.shot(tab.page, f"{name}-fr-day", full_page=True)

        # The connection drops: the board says so (top of the phone screen)
        page = phone.page
        page.goto(f"{self.stack.shop_url}/merchant")
        expect(page.get_by_test_id("link")).to_have_attribute("data-state", "live")
        page.route("**/merchant/board/events**", lambda route: route.abort())
        page.evaluate("window.comptoirBoard.drop()")
        expect(page.get_by_test_id("link")).to_have_attribute("data-state", "lost")
        self.shot(page, "phone-fr-board-lost", clip={"x": 0, "y": 0, "width": PHONE["width"], "height": 360})
        page.unroute("**/merchant/board/events**")

        for tab in (phone, tablet):
            tab.errors[:] = [e for e in tab.errors if "ERR_FAILED" not in e]  # the cut stream, on purpose
            tab.assert_clean()
        return self.written

    # --- setting up -----------------------------------------------------------------------------------

    def open_shop(self) -> Actor:
        shops.create_shop(
            self.stack.uows(),
            SLUG,
            ShopSettings(
                name="Boucherie Dupont",
                currency="EUR",
                time_zone="Europe/Paris",
                address="12 rue des Halles, 69001 Lyon",
                opening_hours="Du mardi au samedi, de 8 h à 13 h et de 15 h 30 à 19 h 30",
                offers_pickup=True,
                offers_delivery=False,
                accepts_online=True,
                accepts_on_pickup=True,
                capture_manually=True,
                capture_margin_percent=15,
                pickup_slot_minutes=15,
                pickup_slot_capacity=4,
            ),
        )
        user = accounts.create_user(
            self.stack.uows(), FakeHasher(), MERCHANT, PASSWORD, Role.MERCHANT, [SLUG], name="Paul Dupont"
        )
        return Actor(user.id, user.email, user.role, user.shop_ids)

    def add_products(self, merchant: Actor) -> dict[str, int]:
        wanted = [
            NewProduct("Côte de bœuf", "kg", 3900, "12", "Race charolaise, maturée 3 semaines."),
            NewProduct("Entrecôte", "kg", 3290, "8", "Persillée, à griller."),
            NewProduct("Merguez", "piece", 250, "60", "Maison, agneau et bœuf."),
            NewProduct("Poulet fermier", "piece", 1490, "10", "Label rouge, environ 1,8 kg."),
            NewProduct("Terrine", "piece", 650, "20", "Terrine de campagne maison, 250 g."),
        ]
        return {
            product.name: catalog.create_product(self.stack.uows(), merchant, SLUG, product).id for product in wanted
        }

    def pictures(self, page: Page, products: dict[str, int]) -> None:
        """Two products get a photo through the product page, as a merchant adds one from the phone."""
        for name, colour in (("Côte de bœuf", (150, 40, 45)), ("Merguez", (178, 74, 46))):
            picture = self.scratch / f"{products[name]}.png"
            picture.write_bytes(_png(colour))
            page.goto(f"{self.stack.shop_url}/merchant/products/{products[name]}")
            page.locator("#image").set_input_files(picture)
            page.get_by_role("button", name="Enregistrer la photo").click()
            expect(page.locator(".flashes")).to_contain_text("photo")

    def signed_in(self, viewport: dict[str, int]) -> Tab:
        tab = _tab(self.browser.new_context(viewport=viewport, locale="fr-FR"))  # type: ignore[arg-type]
        page = tab.page
        page.goto(f"{self.stack.shop_url}/merchant")
        page.locator("#email").fill(MERCHANT)
        page.locator("#password").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_test_id("board")).to_be_visible()
        return tab

    # --- customers and their orders, over the API --------------------------------------------------------

    def customer(self, name: str) -> Customer:
        email = name.lower().replace(" ", ".").replace("è", "e") + "@example.com"
        answer = self.stack.http.post("/api/auth/register", json={"email": email, "password": PASSWORD, "name": name})
        assert answer.status_code == 201, answer.text
        return Customer(name, {"Authorization": f"Bearer {answer.json()['access_token']}"})

    def order(self, customer: Customer, method: str, note: str, lines: list[tuple[int, Any]]) -> dict[str, Any]:
        answer = self.stack.http.post(
            "/api/orders",
            headers=customer.headers,
            json={
                "shop": SLUG,
                "lines": [{"product_id": product, "quantity": quantity} for product, quantity in lines],
                "payment_method": method,
                "pickup": {"note": note},
            },
        )
        assert answer.status_code == 201, answer.text
        placed: dict[str, Any] = answer.json()
        return placed

    def pay(self, customer: Customer, order: dict[str, Any]) -> None:
        """The customer's card on the shop's own page (Stripe.js): the shop only authorises, weighing comes later."""
        answer = self.stack.http.post(
            f"/api/orders/{order['id']}/pay", headers=customer.headers, json={"payment_method_id": "pm_card_visa"}
        )
        assert answer.status_code == 200 and answer.json()["status"] == "authorized", answer.text

    def merchant_api(self) -> dict[str, str]:
        answer = self.stack.http.post("/api/auth/login", json={"email": MERCHANT, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def post(self, headers: dict[str, str], path: str, body: dict[str, Any] | None = None) -> None:
        answer = self.stack.http.post(path, headers=headers, json=body)
        assert answer.status_code == 200, (path, answer.text)

    def pickup_code(self, order: dict[str, Any]) -> str:
        """What the customer reads on their order and says at the counter."""
        with self.stack.uows() as uow:
            found = uow.orders.get(order["id"])
            assert found is not None and found.pickup_code is not None
            return str(found.pickup_code)

    # --- the pages ------------------------------------------------------------------------------------

    @staticmethod
    def card(page: Page, order: dict[str, Any]) -> Locator:
        return page.locator(f'li.card[data-number="{order["number"]}"]')

    @staticmethod
    def ringing(page: Page) -> bool:
        return bool(page.evaluate("document.body.dataset.ringing === 'yes' && !document.getElementById('ring').paused"))

    def shot(self, what: Page | Locator, name: str, **options: Any) -> None:
        """`what` as a PNG: a page (the screen, or `full_page`), or one element of it."""
        path = self.out / f"{name}.png"
        what.screenshot(path=path, animations="disabled", caret="hide", **options)
        self.written.append(path)


def _png(rgb: tuple[int, int, int], size: int = 96) -> bytes:
    """A small photo stand-in: a vertical shade of one colour, as a valid PNG (no image library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(max(0, channel - row // 2) for channel in rgb) * size for row in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    sys.exit(main())
