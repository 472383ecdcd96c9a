"""`/merchant`: today's orders of the merchant's own shops, in the merchant's language."""

from __future__ import annotations

from comptoir.domain.actors import Role
from comptoir.services import accounts
from tests.api.support import FAST_HASHER, PASSWORD
from tests.web.support import BAKER, BUTCHER, Site, open_shop, pickup_order, sign_in

NBSP, NNBSP = "\u00a0", "\u202f"


def test_the_merchant_sees_todays_orders_with_who_ordered_and_the_total_in_money(site: Site) -> None:
    # given a butcher with a pay-at-pickup order of 2 merguez and 0.750 kg of entrecôte (5.00 + 24.00 €)
    shop = open_shop(site.api, BUTCHER)
    accounts.create_user(site.api.uow(), FAST_HASHER, "chef@example.com", PASSWORD, Role.MERCHANT, [BUTCHER])
    order = pickup_order(
        site.api, BUTCHER, [(shop["pieces"], "2"), (shop["kg"], "0.750")], "jeanne@example.com", "Jeanne Martin"
    )
    sign_in(site.client, "chef@example.com")
    # when the merchant opens the counter screen in English
    page = site.client.get("/merchant", headers={"Accept-Language": "en-GB,en;q=0.8"}).text
    # then the order is there: number, customer, lines with their units, total, and what is left to do
    assert order["number"] in page and "Jeanne Martin" in page
    assert "2 pieces · Merguez" in page and "0.750 kg · Entrecôte" in page
    assert "€29.00" in page and "To prepare" in page and "To pay at pickup" in page
    assert "Boucherie Dupont" in page  # the shop's name in the header
    # and in French, money, quantities and words are the French ones
    page = site.client.get("/merchant", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).text
    assert f"29,00{NBSP}€" in page and f"0,750{NNBSP}kg · Entrecôte" in page and "2 pièces · Merguez" in page
    assert "Commandes du jour" in page and "À préparer" in page and "À payer au retrait" in page
    assert "samedi 5 décembre 2026" in page


def test_a_second_shops_merchant_sees_nothing_of_the_first(site_both: Site) -> None:
    site = site_both
    # given an order at the butcher's, and the baker's merchant
    shop = open_shop(site.api, BUTCHER)
    open_shop(site.api, BAKER)
    order = pickup_order(site.api, BUTCHER, [(shop["pieces"], "3")], "jeanne@example.com", "Jeanne Martin")
    accounts.create_user(site.api.uow(), FAST_HASHER, "mie@example.com", PASSWORD, Role.MERCHANT, [BAKER])
    # when the baker opens the counter screen
    sign_in(site.client, "mie@example.com")
    page = site.client.get("/merchant").text
    # then nothing of the butcher's order shows, and the header names the baker's shop
    assert order["number"] not in page and "Jeanne" not in page and "Merguez" not in page
    assert "No orders yet today." in page and "Boulangerie Martin" in page


def test_yesterdays_orders_are_not_todays(site_both: Site) -> None:
    site = site_both
    # given an order placed yesterday evening, Paris time
    shop = open_shop(site.api, BUTCHER)
    accounts.create_user(site.api.uow(), FAST_HASHER, "chef@example.com", PASSWORD, Role.MERCHANT, [BUTCHER])
    site.clock.now = site.clock.now.replace(hour=22, minute=30)  # 23:30 in Paris
    order = pickup_order(site.api, BUTCHER, [(shop["pieces"], "1")], "jeanne@example.com", "Jeanne Martin")
    # when the merchant opens the screen the next morning
    site.clock.advance(hours=9)
    sign_in(site.client, "chef@example.com")
    page = site.client.get("/merchant").text
    # then yesterday's order is not on today's list
    assert order["number"] not in page and "No orders yet today." in page


def test_today_and_the_times_are_in_the_shop_s_own_time_zone(site: Site) -> None:
    # given a shop in Martinique (UTC-4) whose settings say so, and an order at 02:30 UTC: 22:30 the day before there
    shop = open_shop(site.api, BUTCHER)
    with site.api.uow() as uow:
        found = uow.shops.get(shop["shop_id"])
        assert found is not None
        found.time_zone = "America/Martinique"
        uow.commit()
    accounts.create_user(site.api.uow(), FAST_HASHER, "chef@example.com", PASSWORD, Role.MERCHANT, [BUTCHER])
    site.clock.now = site.clock.now.replace(hour=2, minute=30)
    order = pickup_order(site.api, BUTCHER, [(shop["pieces"], "1")], "jeanne@example.com", "Jeanne Martin")
    sign_in(site.client, "chef@example.com")
    # when the merchant looks at the screen that evening, Martinique time
    page = site.client.get("/merchant", headers={"Accept-Language": "en"}).text
    # then the order is today's, at its local time, on the local date (in Paris it would be the 5th, 03:30)
    assert order["number"] in page and "10:30" in page and "December 4, 2026" in page
