"""Shop set-up and products in a real headless Chromium against a real server: a butcher adds a product
on a phone, in French, changes its stock and gives it a picture; the settings page and the admin's
shops page on a phone and a tablet. axe-core checks every page (no serious or critical violation).

Screenshots land in the test's temporary folder, or in COMPTOIR_SCREENSHOTS when it names a folder
(the merchant guide's images come from `scripts/merchant_screenshots.py`).
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from comptoir.app import create_app
from comptoir.domain.actors import Role
from comptoir.services import accounts
from tests.api.support import FAST_HASHER, PASSWORD, Api, TestClient, make_settings
from tests.e2e.web.test_counter_pages_in_chromium import PHONE, TABLET, Tab, _tab, browser
from tests.servers import bound_socket, serving
from tests.web.support import BUTCHER, MovableClock, open_shop

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the Chromium fixture, shared with the counter pages' tests

CHEF, ADMIN = "chef@boucherie.example", "admin@comptoir.example"


def _png(width: int = 48, height: int = 48, rgb: tuple[int, int, int] = (176, 48, 48)) -> bytes:
    """A small, valid PNG of one colour (a picture a phone would send, without a file in the tree)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture
def shop_url(sqlite_url: str, tmp_path: Path) -> Iterator[str]:
    """One real server: the butcher's shop with its merchant, and an admin."""
    sock, url = bound_socket()
    settings = make_settings(sqlite_url, tmp_path / "data", public_url=url)
    app = create_app(settings, hasher=FAST_HASHER, clock=MovableClock())
    with TestClient(app) as client:
        api = Api(client=client, uow=app.state.uow_factory, settings=settings)
        open_shop(api, BUTCHER)
        accounts.create_user(api.uow(), FAST_HASHER, CHEF, PASSWORD, Role.MERCHANT, [BUTCHER], name="Paul")
        accounts.create_user(api.uow(), FAST_HASHER, ADMIN, PASSWORD, Role.ADMIN)
    with serving((app, sock, "shop")):
        yield url


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    wanted = os.environ.get("COMPTOIR_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sign_in(tab: Tab, url: str, email: str) -> None:
    tab.page.goto(f"{url}/sign-in")
    tab.page.locator("#email").fill(email)
    tab.page.locator("#password").fill(PASSWORD)
    tab.page.locator("form.stacked button").click()


def test_a_butcher_adds_a_product_on_a_phone_then_stocks_it_and_gives_it_a_picture(
    shop_url: str, browser: Browser, shots: Path, tmp_path: Path
) -> None:
    context = browser.new_context(viewport=PHONE, locale="fr-FR")
    tab = _tab(context)
    page = tab.page
    _sign_in(tab, shop_url, CHEF)
    # when the butcher opens the products on a phone and adds a côte de bœuf at 38,50 € the kg, 6 kg in stock
    page.goto(f"{shop_url}/merchant/products")
    expect(page.get_by_role("heading", name="Produits", exact=True)).to_be_visible()
    tab.assert_accessible()
    page.get_by_label("Nom", exact=True).fill("Côte de bœuf")
    page.get_by_label("Description").fill("Race limousine, maturée 30 jours.")
    page.get_by_label("Au poids (kg)").check()
    page.get_by_label("Prix en EUR, à la pièce ou au kg").fill("38,50")
    page.get_by_label("Stock de départ").fill("6")
    page.get_by_role("button", name="Ajouter le produit").click()
    # then its page says it is created, with its stock in French units
    expect(page.get_by_role("status")).to_contain_text("Le produit est créé.")
    expect(page.get_by_test_id("stock")).to_contain_text("En stock : 6,000\u202fkg")
    tab.assert_accessible()
    # when a delivery of 4,5 kg is recorded, and a picture taken
    page.get_by_label("Kilos à ajouter (un signe moins pour retirer)").fill("4,5")
    page.get_by_label("Pourquoi").fill("Livraison du mardi")
    page.get_by_role("button", name="Modifier le stock").click()
    expect(page.get_by_test_id("stock")).to_contain_text("En stock : 10,500\u202fkg")
    picture = tmp_path / "cote.png"
    picture.write_bytes(_png())
    page.get_by_label("Une photo : PNG, JPEG ou WebP, 2 Mo au plus").set_input_files(picture)
    page.get_by_role("button", name="Enregistrer la photo").click()
    # then the picture shows on the product's page, served from this shop, and the list shows both
    expect(page.get_by_role("status")).to_contain_text("La photo est enregistrée.")
    expect(page.get_by_role("img", name="Côte de bœuf")).to_be_visible()
    assert page.evaluate("document.querySelector('img.product-picture').naturalWidth") == 48
    tab.assert_accessible()
    page.screenshot(path=shots / "phone-fr-product.png", full_page=True)
    page.get_by_role("link", name="Tous les produits").click()
    expect(page.get_by_test_id("product").filter(has_text="Côte de bœuf")).to_contain_text("10,500\u202fkg en stock")
    tab.assert_accessible()
    page.screenshot(path=shots / "phone-fr-products.png", full_page=True)
    tab.assert_clean()
    context.close()


def test_the_settings_and_admin_pages_on_a_phone_and_a_tablet(shop_url: str, browser: Browser, shots: Path) -> None:
    for name, viewport in (("phone", PHONE), ("tablet", TABLET)):
        context = browser.new_context(viewport=viewport, locale="fr-FR")
        tab = _tab(context)
        page = tab.page
        # the merchant's settings, saved
        _sign_in(tab, shop_url, CHEF)
        page.goto(f"{shop_url}/merchant/shop")
        expect(page.get_by_role("heading", name="Réglages de la boutique")).to_be_visible()
        tab.assert_accessible()
        page.get_by_label("Horaires d’ouverture").fill("Du mardi au samedi, 8 h – 19 h 30")
        page.get_by_role("button", name="Enregistrer les réglages").click()
        expect(page.get_by_role("status")).to_contain_text("Les réglages de la boutique sont enregistrés.")
        tab.assert_accessible()
        page.screenshot(path=shots / f"{name}-fr-shop-settings.png", full_page=True)
        # and a refusal beside its field
        page.get_by_label("Durée d’un créneau (minutes)").fill("500")
        page.get_by_role("button", name="Enregistrer les réglages").click()
        expect(page.locator("#pickup_slot_minutes-error")).to_have_text("Entre 5 et 240.")
        tab.assert_accessible()
        if name == "tablet":
            page.goto(f"{shop_url}/merchant/products")
            tab.assert_accessible()
            page.screenshot(path=shots / "tablet-fr-products.png", full_page=True)
        page.get_by_role("button", name="Se déconnecter").click()
        # the admin's shops page
        _sign_in(tab, shop_url, ADMIN)
        page.goto(f"{shop_url}/admin/shops")
        expect(page.get_by_role("heading", name="Boutiques", exact=True)).to_be_visible()
        tab.assert_accessible()
        if name == "phone":
            page.screenshot(path=shots / "phone-fr-admin-shops.png", full_page=False)
        tab.assert_clean()
        context.close()
