"""`/merchant/day` and `/merchant/export.csv`: the day's figures and the accountant's file."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from tests.web.support import BAKER, BUTCHER, Site, card_order, open_shop, pickup_order, sign_in

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}


def _collected_day(site: Site) -> tuple[dict[str, object], dict[str, object]]:
    """Two counter orders on 5 December: one paid in cash and refunded 2.50, one on the card terminal."""
    shop = open_shop(site.api, BUTCHER)
    merchant = site.api.add_merchant("chef@example.com", BUTCHER)
    cash = pickup_order(site.api, BUTCHER, [(shop["pieces"], "2")], "jeanne@example.com", "Jeanne Martin")
    terminal = pickup_order(site.api, BUTCHER, [(shop["kg"], "0.750")], "=cmd@example.com", "Paul")
    for order, method in ((cash, "cash"), (terminal, "card_terminal")):
        answer = site.client.post(
            f"/api/merchant/orders/{order['id']}/collect",
            headers=merchant,
            json={"method": method, "amount": order["total"]},
        )
        assert answer.status_code == 200, answer.text
    refund = site.client.post(
        f"/api/merchant/orders/{cash['id']}/refunds", headers=merchant, json={"amount": 250, "reason": "Trop cuit"}
    )
    assert refund.status_code == 200, refund.text
    return cash, terminal


def test_the_day_sums_orders_takings_by_method_and_refunds(card_site: Site) -> None:
    site = card_site
    _collected_day(site)
    sign_in(site.client, "chef@example.com")
    # when the merchant opens the end of day in French
    page = site.client.get("/merchant/day", headers=FR).text
    # then two orders, 5,00 € in cash and 24,00 € on the terminal, one refund of 2,50 €
    assert "samedi 5 décembre 2026" in page and "2 commandes" in page
    assert "Espèces au comptoir" in page and "5,00\u00a0€" in page
    assert "Terminal de paiement au comptoir" in page and "24,00\u00a0€" in page
    assert "1 remboursement" in page and "2,50\u00a0€" in page
    # and the day before has nothing
    before = site.client.get("/merchant/day", params={"date": "2026-12-04"}, headers=EN).text
    assert "0 orders" in before and "No money taken this day." in before


def test_the_day_lists_card_payments_waiting_to_be_weighed(card_site: Site) -> None:
    site = card_site
    shop = open_shop(site.api, BUTCHER)
    with site.api.uow() as uow:
        row = uow.shops.get(shop["shop_id"])
        assert row is not None
        row.capture_manually = True
        uow.commit()
    site.api.add_merchant("chef@example.com", BUTCHER)
    order = card_order(site.api, BUTCHER, [(shop["kg"], "1.000")], "jeanne@example.com", "Jeanne Martin")
    site.clock.advance(days=6, hours=12)
    sign_in(site.client, "chef@example.com")
    page = site.client.get("/merchant/day", headers=EN).text
    listed = page[page.index('data-testid="open-authorisations"') :]
    assert order["number"] in listed and f"/merchant/orders/{order['id']}/weigh" in listed
    assert 'class="urgent"' in listed and "€32.00" in listed
    # and the order list puts it first, with the action
    orders = site.client.get("/merchant/orders", headers=EN).text
    due = orders[orders.index('data-testid="due-soon"') : orders.index("</section>")]
    assert f"Weigh No. {order['number']}" in due and f"/merchant/orders/{order['id']}/weigh" in due


def test_the_export_is_a_csv_in_major_units_and_local_times(card_site: Site) -> None:
    site = card_site
    cash, terminal = _collected_day(site)
    sign_in(site.client, "chef@example.com")
    answer = site.client.get("/merchant/export.csv", params={"from": "2026-12-05", "to": "2026-12-05"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert 'filename="comptoir-2026-12-05-2026-12-05.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    records = sorted((row["record"], row["order"], row["what"], row["amount"], row["currency"]) for row in rows)
    assert records == sorted(
        [
            ("order", cash["number"], "completed", "5.00", "EUR"),
            ("order", terminal["number"], "completed", "24.00", "EUR"),
            ("payment", cash["number"], "cash", "5.00", "EUR"),
            ("payment", terminal["number"], "card_terminal", "24.00", "EUR"),
            ("refund", cash["number"], "refund", "2.50", "EUR"),
        ]
    )
    assert all(row["time"].startswith("2026-12-05 10:00:00+01:00") for row in rows)
    assert {row["customer"] for row in rows} == {"jeanne@example.com", "'=cmd@example.com"}


def test_the_export_refuses_a_range_too_long_or_backwards(site: Site) -> None:
    open_shop(site.api, BUTCHER)
    site.api.add_merchant("chef@example.com", BUTCHER)
    sign_in(site.client, "chef@example.com")
    for params in (
        {"from": "2026-01-01", "to": "2026-12-31"},
        {"from": "2026-12-05", "to": "2026-12-01"},
        {"from": "soon"},
    ):
        answer = site.client.get("/merchant/export.csv", params=params, headers=EN)
        assert answer.status_code == 400 and "These dates cannot be used" in answer.text


def test_another_shops_merchant_exports_nothing_of_the_first(site_both: Site) -> None:
    site = site_both
    shop = open_shop(site.api, BUTCHER)
    open_shop(site.api, BAKER)
    order = pickup_order(site.api, BUTCHER, [(shop["pieces"], "1")], "jeanne@example.com", "Jeanne Martin")
    site.api.add_merchant("mie@example.com", BAKER)
    sign_in(site.client, "mie@example.com")
    exported = site.client.get("/merchant/export.csv").content.decode("utf-8-sig")
    day = site.client.get("/merchant/day", headers=EN).text
    assert exported.splitlines() == ["record,time,order,customer,what,amount,currency,note"]
    assert order["number"] not in day and "0 orders" in day


def test_the_day_the_export_and_the_desk_follow_the_shops_own_time_zone(site: Site) -> None:
    # given a butcher in Montréal, on a server set to Paris time, whose order is paid at the counter
    # at 21:00 on Friday 4 December there (03:00 on Saturday in Paris)
    shop = open_shop(site.api, BUTCHER)
    with site.api.uow() as uow:
        row = uow.shops.get(shop["shop_id"])
        assert row is not None
        row.time_zone = "America/Montreal"
        uow.commit()
    merchant = site.api.add_merchant("chef@example.com", BUTCHER)
    site.clock.now = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    order = pickup_order(site.api, BUTCHER, [(shop["pieces"], "2")], "jeanne@example.com", "Jeanne Martin")
    collected = site.client.post(
        f"/api/merchant/orders/{order['id']}/collect", headers=merchant, json={"method": "cash", "amount": 500}
    )
    assert collected.status_code == 200, collected.text
    sign_in(site.client, "chef@example.com")
    # when the merchant opens the end of the day, the accountant's file for today, and the order
    day = site.client.get("/merchant/day", headers=EN).text
    rows = list(csv.DictReader(io.StringIO(site.client.get("/merchant/export.csv").content.decode("utf-8-sig"))))
    detail = site.client.get(f"/merchant/orders/{order['id']}", headers=EN).text
    listed = site.client.get("/merchant/orders", params={"from": "2026-12-04", "to": "2026-12-04"}, headers=EN)
    # then today is the shop's Friday, its takings are there, and every time reads in Montréal
    assert "Friday, December 4, 2026" in day and "1 order" in day and "€5.00" in day
    assert {row["time"] for row in rows} == {"2026-12-04 21:00:00-05:00"} and len(rows) == 2
    assert "Dec 4, 2026, 9:00\u202fPM" in detail
    assert order["number"] in listed.text
