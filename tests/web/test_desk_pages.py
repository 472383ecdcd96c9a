"""The merchant's desk: the order list (filters, search, pages), an order's detail and history, the
weigh and refund dialogs with their confirmation step, and the ticket."""

from __future__ import annotations

import re

from comptoir.services.merchant.desk import PAGE_SIZE
from tests.web.support import (
    BAKER,
    BUTCHER,
    Site,
    card_order,
    csrf_of,
    open_shop,
    pickup_order,
    sign_in,
)

EN = {"Accept-Language": "en"}
FR = {"Accept-Language": "fr"}


def _butcher_with_merchant(site: Site, **shop: bool) -> dict[str, int]:
    products = open_shop(site.api, BUTCHER)
    if shop:
        with site.api.uow() as uow:
            row = uow.shops.get(products["shop_id"])
            assert row is not None
            for name, value in shop.items():
                setattr(row, name, value)
            uow.commit()
    site.api.add_merchant("chef@example.com", BUTCHER)
    return products


def _numbers(page: str) -> list[str]:
    return re.findall(r'data-number="([^"]+)"', page)


def test_the_list_filters_by_search_progress_and_payment(site: Site) -> None:
    # given two pay-at-pickup orders, one of them collected and paid
    shop = _butcher_with_merchant(site)
    jeanne = pickup_order(site.api, BUTCHER, [(shop["pieces"], "2")], "jeanne@example.com", "Jeanne Martin")
    paul = pickup_order(site.api, BUTCHER, [(shop["kg"], "0.500")], "paul@example.com", "Paul Durand")
    sign_in(site.client, "chef@example.com")
    detail = site.client.get(f"/merchant/orders/{paul['id']}").text
    collected = site.client.post(
        f"/api/merchant/orders/{paul['id']}/collect",
        headers=site.api.login_headers("chef@example.com"),
        json={"method": "cash", "amount": paul["total"]},
    )
    assert collected.status_code == 200, collected.text
    assert "Paul Durand" in detail
    # when the merchant searches by name, by part of the e-mail, and filters by progress and payment
    by_name = site.client.get("/merchant/orders", params={"q": "jeanne"}, headers=EN).text
    by_mail = site.client.get("/merchant/orders", params={"q": "PAUL@"}, headers=EN).text
    by_number = site.client.get("/merchant/orders", params={"q": jeanne["number"]}, headers=EN).text
    collected_only = site.client.get("/merchant/orders", params={"status": "completed"}, headers=EN).text
    unpaid_only = site.client.get("/merchant/orders", params={"payment": "unpaid"}, headers=EN).text
    deliveries = site.client.get("/merchant/orders", params={"fulfilment": "delivery"}, headers=EN).text
    pickups = site.client.get("/merchant/orders", params={"fulfilment": "pickup"}, headers=EN).text
    # then each shows what matches, and an empty result says so
    assert _numbers(by_name) == [jeanne["number"]] and _numbers(by_mail) == [paul["number"]]
    assert _numbers(by_number) == [jeanne["number"]]
    assert _numbers(collected_only) == [paul["number"]] and _numbers(unpaid_only) == [jeanne["number"]]
    assert _numbers(deliveries) == [] and "No order matches these filters." in deliveries
    assert sorted(_numbers(pickups)) == sorted([jeanne["number"], paul["number"]])


def test_the_list_filters_by_days_in_the_shops_time_zone(site: Site) -> None:
    # given an order on 4 December at 23:30 in Paris (22:30 UTC) and one on 5 December
    shop = _butcher_with_merchant(site)
    site.clock.now = site.clock.now.replace(day=4, hour=22, minute=30)
    late = pickup_order(site.api, BUTCHER, [(shop["pieces"], "1")], "jeanne@example.com", "Jeanne Martin")
    site.clock.advance(hours=10)
    next_day = pickup_order(site.api, BUTCHER, [(shop["pieces"], "1")], "paul@example.com", "Paul Durand")
    sign_in(site.client, "chef@example.com")
    # when the merchant asks for 4 December only, then for 5 December onwards
    fourth = site.client.get("/merchant/orders", params={"from": "2026-12-04", "to": "2026-12-04"}).text
    fifth = site.client.get("/merchant/orders", params={"from": "2026-12-05"}).text
    # then the late order belongs to the 4th (Paris), the other to the 5th
    assert _numbers(fourth) == [late["number"]] and _numbers(fifth) == [next_day["number"]]


def test_the_list_comes_in_pages(site: Site) -> None:
    # given one order more than a page holds
    shop = _butcher_with_merchant(site)
    sausage = site.api.add_product(shop["shop_id"], "Saucisse", 150, stock_milli=100_000)
    headers = site.api.customer_headers("jeanne@example.com")
    for _ in range(PAGE_SIZE + 1):
        site.clock.advance(minutes=1)
        answer = site.api.client.post(
            "/api/orders",
            headers=headers,
            json={
                "shop": BUTCHER,
                "lines": [{"product_id": sausage, "quantity": "1"}],
                "payment_method": "on_pickup",
                "pickup": {},
            },
        )
        assert answer.status_code == 201, answer.text
    sign_in(site.client, "chef@example.com")
    # when the merchant opens the list, then its second page
    first = site.client.get("/merchant/orders", headers=EN).text
    second = site.client.get("/merchant/orders", params={"page": "2"}, headers=EN).text
    # then the first holds a full page and links on, the second the oldest order
    assert len(_numbers(first)) == PAGE_SIZE and "Page 1 of 2" in first and 'rel="next"' in first
    assert len(_numbers(second)) == 1 and set(_numbers(second)).isdisjoint(_numbers(first))


def test_hostile_filters_get_a_400_page_not_a_500(site: Site) -> None:
    _butcher_with_merchant(site)
    sign_in(site.client, "chef@example.com")
    for params in (
        {"status": "x' OR 1=1"},
        {"from": "yesterday"},
        {"page": "0"},
        {"page": "99999999"},
        {"q": "x" * 101},
        {"from": "2026-12-05", "to": "2026-12-01"},
    ):
        answer = site.client.get("/merchant/orders", params=params, headers=EN)
        assert answer.status_code == 400, params
        assert "These filters cannot be used." in answer.text


def test_a_search_for_a_percent_sign_matches_it_literally(site: Site) -> None:
    shop = _butcher_with_merchant(site)
    pickup_order(site.api, BUTCHER, [(shop["pieces"], "1")], "jeanne@example.com", "Jeanne Martin")
    sign_in(site.client, "chef@example.com")
    page = site.client.get("/merchant/orders", params={"q": "%"}, headers=EN).text
    assert _numbers(page) == []


def test_a_second_shops_merchant_gets_a_404_for_the_first_shops_order(site_both: Site) -> None:
    site = site_both
    shop = _butcher_with_merchant(site)
    open_shop(site.api, BAKER)
    order = pickup_order(site.api, BUTCHER, [(shop["pieces"], "3")], "jeanne@example.com", "Jeanne Martin")
    site.api.add_merchant("mie@example.com", BAKER)
    sign_in(site.client, "mie@example.com")
    # when the baker lists orders and opens the butcher's order, its dialogs and its ticket
    listed = site.client.get("/merchant/orders", headers=EN).text
    pages = [site.client.get(f"/merchant/orders/{order['id']}{tail}") for tail in ("", "/weigh", "/refund", "/ticket")]
    # then nothing of it shows
    assert order["number"] not in listed and "Jeanne" not in listed
    assert [page.status_code for page in pages] == [404, 404, 404, 404]
    assert all("Jeanne" not in page.text and "Merguez" not in page.text for page in pages)


def test_a_customer_sees_the_staff_only_page(site: Site) -> None:
    site.api.register("jeanne@example.com")
    sign_in(site.client, "jeanne@example.com")
    assert site.client.get("/merchant/orders").status_code == 403


def test_the_detail_tells_the_history_in_words_in_the_shops_time_zone(site: Site) -> None:
    # given an order placed at 9:00 UTC (10:00 in Paris) and marked ready by the merchant
    shop = _butcher_with_merchant(site)
    order = pickup_order(site.api, BUTCHER, [(shop["kg"], "0.750")], "jeanne@example.com", "Jeanne Martin")
    ready = site.client.post(
        f"/api/merchant/orders/{order['id']}/ready", headers=site.api.login_headers("chef@example.com")
    )
    assert ready.status_code == 200, ready.text
    sign_in(site.client, "chef@example.com")
    # when the merchant opens it in French
    page = site.client.get(f"/merchant/orders/{order['id']}", headers=FR).text
    # then the lines have their units, and the history says who did what, when (Paris time)
    assert "0,750\u202fkg" in page and "Entrecôte" in page
    timeline = page[page.index('data-testid="timeline"') :]
    assert "5 déc. 2026, 10:00<" in timeline and "le client Jeanne Martin" in timeline
    assert "commande : Prête" in timeline and "chef@example.com" in timeline


def test_weighing_less_charges_the_new_total_after_a_confirmation(card_site: Site) -> None:
    site = card_site
    # given a shop that captures manually with a 10% margin, and 1.500 kg of entrecôte authorised (48.00 + 4.80)
    shop = _butcher_with_merchant(site, capture_manually=True, accepts_online=True)
    with site.api.uow() as uow:
        row = uow.shops.get(shop["shop_id"])
        assert row is not None
        row.capture_margin_percent = 10
        uow.commit()
    order = card_order(site.api, BUTCHER, [(shop["kg"], "1.500")], "jeanne@example.com", "Jeanne Martin")
    sign_in(site.client, "chef@example.com")
    detail = site.client.get(f"/merchant/orders/{order['id']}", headers=EN).text
    assert "€52.80" in detail and "Weigh and take payment" in detail
    form = site.client.get(f"/merchant/orders/{order['id']}/weigh", headers=EN).text
    line_id = re.search(r'name="weight-(\d+)"', form)
    assert line_id is not None
    field = f"weight-{line_id.group(1)}"
    # when the merchant types 1,750 kg (56.00: above what the card holds)
    too_much = site.client.post(
        f"/merchant/orders/{order['id']}/weigh", data={"csrf_token": csrf_of(form), field: "1,750"}, headers=EN
    )
    # then the new total is shown, refused, with no button to charge it
    assert "€56.00" in too_much.text and 'data-testid="too-much"' in too_much.text
    assert 'data-testid="confirm"' not in too_much.text
    # and a confirmation forged anyway is refused by the service, nothing charged
    forged = site.client.post(
        f"/merchant/orders/{order['id']}/weigh",
        data={"csrf_token": csrf_of(form), field: "1.750", "confirm": "yes"},
        headers=EN,
    )
    assert forged.status_code == 409 and 'data-code="capture_exceeds_authorisation"' in forged.text
    # when the merchant types 1,250 kg instead, sees 40.00 and confirms
    preview = site.client.post(
        f"/merchant/orders/{order['id']}/weigh", data={"csrf_token": csrf_of(form), field: "1,250"}, headers=EN
    )
    assert "€40.00" in preview.text and "Charge €40.00 and mark ready" in preview.text
    done = site.client.post(
        f"/merchant/orders/{order['id']}/weigh",
        data={"csrf_token": csrf_of(form), field: "1.250", "confirm": "yes"},
        headers=EN,
        follow_redirects=True,
    )
    # then 40.00 is taken, the order is ready, and the page says so
    assert "Weighed: the card was charged the new total" in done.text
    assert 'data-testid="paid">€40.00' in done.text and 'data-status="ready"' in done.text


def test_a_weigh_or_refund_without_the_csrf_token_is_refused(card_site: Site) -> None:
    site = card_site
    shop = _butcher_with_merchant(site)
    order = pickup_order(site.api, BUTCHER, [(shop["pieces"], "2")], "jeanne@example.com", "Jeanne Martin")
    sign_in(site.client, "chef@example.com")
    for dialog in ("weigh", "refund"):
        answer = site.client.post(
            f"/merchant/orders/{order['id']}/{dialog}", data={"reason": "x", "amount": "1", "confirm": "yes"}
        )
        assert answer.status_code == 403


def test_refunding_a_line_shows_the_amount_then_refunds_it(card_site: Site) -> None:
    site = card_site
    # given a paid order (collected at the counter) of 2 merguez (5.00) and 0.500 kg of entrecôte (16.00)
    shop = _butcher_with_merchant(site)
    order = pickup_order(
        site.api, BUTCHER, [(shop["pieces"], "2"), (shop["kg"], "0.500")], "jeanne@example.com", "Jeanne Martin"
    )
    collected = site.client.post(
        f"/api/merchant/orders/{order['id']}/collect",
        headers=site.api.login_headers("chef@example.com"),
        json={"method": "cash", "amount": order["total"]},
    )
    assert collected.status_code == 200, collected.text
    sign_in(site.client, "chef@example.com")
    form = site.client.get(f"/merchant/orders/{order['id']}/refund", headers=FR).text
    merguez = order["lines"][0]["id"]
    # when the merchant ticks the merguez line with a reason
    preview = site.client.post(
        f"/merchant/orders/{order['id']}/refund",
        data={"csrf_token": csrf_of(form), "line": str(merguez), "reason": "Plus de merguez", "currency": "EUR"},
        headers=FR,
    )
    # then the confirmation shows 5,00 € and nothing is refunded yet
    assert preview.status_code == 200 and "Rembourser 5,00\u00a0€" in preview.text
    before = site.client.get(f"/merchant/orders/{order['id']}", headers=FR).text
    assert 'data-testid="refunded">0,00\u00a0€' in before
    # when the merchant confirms
    done = site.client.post(
        f"/merchant/orders/{order['id']}/refund",
        data={
            "csrf_token": csrf_of(form),
            "line": str(merguez),
            "reason": "Plus de merguez",
            "currency": "EUR",
            "confirm": "yes",
        },
        headers=FR,
        follow_redirects=True,
    )
    # then 5.00 is refunded and listed with its reason
    assert 'data-testid="refunded">5,00\u00a0€' in done.text and "Plus de merguez" in done.text
    # and more than is left is refused on the dialog, in words
    too_much = site.client.post(
        f"/merchant/orders/{order['id']}/refund",
        data={"csrf_token": csrf_of(form), "amount": "100", "reason": "x", "currency": "EUR"},
        headers=EN,
    )
    assert too_much.status_code == 409 and "more than is left to refund" in too_much.text


def test_a_refund_needs_a_reason_and_a_sane_amount(card_site: Site) -> None:
    site = card_site
    shop = _butcher_with_merchant(site)
    order = pickup_order(site.api, BUTCHER, [(shop["pieces"], "2")], "jeanne@example.com", "Jeanne Martin")
    sign_in(site.client, "chef@example.com")
    form = site.client.get(f"/merchant/orders/{order['id']}/refund", headers=EN).text
    for data in (
        {"amount": "1", "reason": " "},
        {"amount": "NaN", "reason": "x"},
        {"amount": "1e9", "reason": "x"},
        {"amount": "1", "reason": "x", "currency": "€€€€"},
    ):
        answer = site.client.post(
            f"/merchant/orders/{order['id']}/refund",
            data={"csrf_token": csrf_of(form), "currency": "EUR", **data},
            headers=EN,
        )
        assert answer.status_code == 400, data


def test_the_ticket_prints_at_58_or_80_mm(site: Site) -> None:
    shop = _butcher_with_merchant(site)
    order = pickup_order(site.api, BUTCHER, [(shop["kg"], "0.750")], "jeanne@example.com", "Jeanne Martin")
    sign_in(site.client, "chef@example.com")
    narrow = site.client.get(f"/merchant/orders/{order['id']}/ticket", params={"width": "58"}, headers=FR).text
    odd = site.client.get(f"/merchant/orders/{order['id']}/ticket", params={"width": "<script>"}, headers=FR).text
    assert 'class="ticket-page w58"' in narrow and "0,750\u202fkg" in narrow and "24,00\u00a0€" in narrow
    assert 'class="ticket-page w80"' in odd and "<script>" not in odd.replace("<script src=", "")
    assert "ticket.js" in narrow and "Imprimer" in narrow


def test_the_order_page_gives_the_customers_phone_as_a_link_to_call_and_never_the_pickup_code(site: Site) -> None:
    # given a pickup order of a customer who gave a phone number, and one of a customer who gave none
    shop = _butcher_with_merchant(site)
    with_phone = pickup_order(site.api, BUTCHER, [(shop["pieces"], "1")], "jeanne@example.com", "Jeanne Martin")
    without = pickup_order(site.api, BUTCHER, [(shop["pieces"], "1")], "paul@example.com", "Paul Durand")
    jeanne = site.api.login_headers("jeanne@example.com")
    assert site.client.patch("/api/me", json={"phone": "06 12 34 56 78"}, headers=jeanne).status_code == 200
    with site.api.uow() as uow:  # a code no other text of the page could contain
        order = uow.orders.get(with_phone["id"])
        assert order is not None and order.pickup_code is not None
        order.pickup_code = "0427"
        uow.commit()
    sign_in(site.client, "chef@example.com")
    # when the merchant opens each order
    page = site.client.get(f"/merchant/orders/{with_phone['id']}", headers=FR).text
    other = site.client.get(f"/merchant/orders/{without['id']}", headers=FR).text
    # then the first shows the number to call, as a tel: link; the second no phone at all
    assert '<a href="tel:0612345678" data-testid="customer-phone"' in page
    assert 'title="Appeler le client"' in page
    assert 'data-testid="customer-phone"' not in other
    # and neither page shows the code the customer will give at the counter
    assert "0427" not in page
