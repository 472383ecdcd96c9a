"""The merchant's desk in a real headless Chromium, against the shop and the real sandbox as uvicorn
servers: a customer's card authorises 1.500 kg of entrecôte and two merguez; the merchant, on a phone
in French, finds the order, weighs 1,333 kg and captures less, refunds the merguez line, then reads
the end of day, on the phone and on a tablet, and the ticket. axe-core on every page; no console
error, no request off this machine. Screenshots (phone and tablet, French) land in the test's
temporary folder (the guide's images come from scripts/merchant_screenshots.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from comptoir.domain.actors import Role
from comptoir.domain.catalog import Unit
from tests.e2e.checkout.stack import Stack, running_stack
from tests.e2e.web.test_counter_pages_in_chromium import PHONE, TABLET, _tab
from tests.factories import add_product, add_shop, add_user
from tests.sandbox.pages_harness import CHROMIUM_ARGS, chromium_or_skip

pytestmark = pytest.mark.browser


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


def test_the_merchant_weighs_less_refunds_a_line_and_closes_the_day(
    stack: Stack, browser: Browser, tmp_path: Path
) -> None:
    # given a butcher that captures by weight (10% margin), and a customer whose card authorised
    # 1.500 kg of entrecôte at 32.90 and 2 merguez at 2.50 (54.35 + 5.44)
    shop = add_shop(stack.uows, slug="boucherie-dupont", capture_manually=True, capture_margin_percent=10)
    beef = add_product(stack.uows, shop, name="Entrecôte", unit=Unit.KG, unit_price=3290, stock=20)
    merguez = add_product(stack.uows, shop, name="Merguez", unit_price=250, stock=20)
    merchant = add_user(stack.uows, role=Role.MERCHANT, shops=[shop])
    customer = stack.customer()
    placed = stack.http.post(
        "/api/orders",
        headers=customer.headers,
        json={
            "shop": shop.slug,
            "lines": [{"product_id": beef.id, "quantity": "1.500"}, {"product_id": merguez.id, "quantity": 2}],
            "payment_method": "online",
            "delivery_address": {"line1": "1 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"},
        },
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    paid = stack.http.post(
        f"/api/orders/{order['id']}/pay", headers=customer.headers, json={"payment_method_id": "pm_card_visa"}
    )
    assert paid.status_code == 200 and paid.json()["status"] == "authorized", paid.text
    intent_id = paid.json()["payment_intent_id"]

    context = browser.new_context(viewport=PHONE, locale="fr-FR")
    tab = _tab(context)
    page = tab.page
    # when the merchant signs in on a phone and finds the order by its number
    page.goto(f"{stack.shop_url}/merchant/orders")
    page.locator("#email").fill(merchant.email)
    page.locator("#password").fill("pw")
    page.locator("form.stacked button").click()
    expect(page.get_by_role("heading", name="Toutes les commandes")).to_be_visible()
    page.get_by_label("Numéro, nom ou e-mail du client").fill(order["number"])
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_test_id("order")).to_have_count(1)
    tab.assert_accessible()
    page.get_by_role("link", name=order["number"]).click()
    # then the order says what the card holds, and when to take it by
    expect(page.get_by_test_id("authorised")).to_contain_text("59,79\u00a0€")
    tab.assert_accessible()
    # when they weigh 1,333 kg on the keypad
    page.get_by_role("link", name="Peser et encaisser").click()
    expect(page.get_by_test_id("authorised")).to_contain_text("au plus 59,79\u00a0€")
    tab.assert_accessible()
    page.locator("input[name^='weight-']").fill("1,333")
    page.screenshot(path=tmp_path / "phone-fr-weigh.png", full_page=True)
    page.get_by_role("button", name="Voir le nouveau total").click()
    # then the new total (43.86 + 5.00) is shown before anything is charged
    expect(page.get_by_test_id("new-total")).to_have_text("48,86\u00a0€")
    tab.assert_accessible()
    page.screenshot(path=tmp_path / "phone-fr-weigh-confirm.png", full_page=True)
    assert stack.stripe.v1.payment_intents.retrieve(intent_id).status == "requires_capture"
    # when they confirm
    page.get_by_test_id("confirm").click()
    # then the sandbox captured less than it held, and the order is ready
    expect(page.get_by_role("status")).to_contain_text("Pesé")
    expect(page.get_by_test_id("paid")).to_have_text("48,86\u00a0€")
    intent = stack.stripe.v1.payment_intents.retrieve(intent_id)
    assert (intent.status, intent.amount, intent.amount_received) == ("succeeded", 5979, 4886)
    tab.assert_accessible()
    # when they refund the merguez line, with a reason, and confirm the amount
    page.get_by_role("link", name="Rembourser").click()
    page.get_by_label("Merguez").check()
    page.get_by_label("Pourquoi (le client le lira)").fill("Plus de merguez")
    tab.assert_accessible()
    page.get_by_role("button", name="Voir le montant").click()
    expect(page.get_by_test_id("refund-amount")).to_contain_text("5,00\u00a0€")
    tab.assert_accessible()
    page.get_by_test_id("confirm").click()
    # then the sandbox holds a refund of 5.00 on the payment, and the order shows it
    expect(page.get_by_test_id("refunded")).to_have_text("5,00\u00a0€")
    refunds = stack.stripe.v1.refunds.list({"payment_intent": intent_id}).data
    assert [(refund.amount, refund.status) for refund in refunds] == [(500, "succeeded")]
    tab.assert_accessible()
    # and the ticket prints at 58 mm
    page.get_by_role("link", name="Ticket").click()
    page.get_by_role("link", name="58 mm").click()
    expect(page.get_by_test_id("ticket")).to_contain_text("1,333\u202fkg")
    expect(page.get_by_role("button", name="Imprimer")).to_be_visible()
    tab.assert_accessible()
    # and the end of day sums it up, on the phone and on a tablet
    page.goto(f"{stack.shop_url}/merchant/day")
    expect(page.get_by_test_id("takings")).to_contain_text("48,86\u00a0€")
    expect(page.get_by_test_id("refunds")).to_contain_text("5,00\u00a0€")
    tab.assert_accessible()
    page.screenshot(path=tmp_path / "phone-fr-day.png", full_page=True)
    page.set_viewport_size(TABLET)
    page.reload()
    tab.assert_accessible()
    page.screenshot(path=tmp_path / "tablet-fr-day.png", full_page=True)
    # and in English, the list and an order pass axe too
    page.goto(f"{stack.shop_url}/language/en?next=/merchant/orders")
    expect(page.get_by_role("heading", name="All orders")).to_be_visible()
    tab.assert_accessible()
    page.goto(f"{stack.shop_url}/merchant/orders/{order['id']}/weigh")
    expect(page.get_by_test_id("nothing-to-weigh")).to_be_visible()
    tab.assert_accessible()
    tab.assert_clean()
    context.close()


def test_the_weigh_dialog_on_a_tablet(stack: Stack, browser: Browser, tmp_path: Path) -> None:
    # given an authorised kg order
    shop = add_shop(stack.uows, slug="boucherie-dupont", capture_manually=True, capture_margin_percent=10)
    beef = add_product(stack.uows, shop, name="Entrecôte", unit=Unit.KG, unit_price=3290, stock=20)
    merchant = add_user(stack.uows, role=Role.MERCHANT, shops=[shop])
    customer = stack.customer()
    order = stack.place_order(customer, shop, beef, 1)
    paid = stack.http.post(
        f"/api/orders/{order['id']}/pay", headers=customer.headers, json={"payment_method_id": "pm_card_visa"}
    )
    assert paid.status_code == 200, paid.text
    context = browser.new_context(viewport=TABLET, locale="fr-FR")
    tab = _tab(context)
    page = tab.page
    # when the merchant weighs more than the card holds on a tablet
    page.goto(f"{stack.shop_url}/merchant/orders/{order['id']}/weigh")
    page.locator("#email").fill(merchant.email)
    page.locator("#password").fill("pw")
    page.locator("form.stacked button").click()
    page.locator("input[name^='weight-']").fill("1,250")
    page.screenshot(path=tmp_path / "tablet-fr-weigh.png", full_page=True)
    page.get_by_role("button", name="Voir le nouveau total").click()
    # then the dialog says it is too much, with no button to charge it
    expect(page.get_by_test_id("too-much")).to_be_visible()
    expect(page.get_by_test_id("confirm")).to_have_count(0)
    tab.assert_accessible()
    tab.assert_clean()
    context.close()
