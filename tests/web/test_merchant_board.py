"""`/merchant`, the counter board: the merchant's own shops' orders by what is left to do, the card
actions (seen, ready, collected with the pickup code and the money taken, refuse), in the merchant's
language and the shop's time zone. The live part (events, ringing) is tested in Chromium
(tests/e2e/merchant/test_board_in_chromium.py)."""

from __future__ import annotations

import re

from comptoir.domain.actors import Role
from comptoir.services import accounts
from tests.api.support import FAST_HASHER, PASSWORD
from tests.support.rows import order_row
from tests.web.support import BAKER, BUTCHER, Site, card_order, csrf_of, open_shop, pickup_order, sign_in

NBSP, NNBSP = "\u00a0", "\u202f"
BOARD = {"X-Board": "1"}


def _column_of(page: str, number: str) -> str:
    found = re.search(rf'data-number="{re.escape(number)}" data-column="([a-z_]+)"', page)
    assert found is not None, f"order {number} is not on the board"
    return found.group(1)


def _butcher(site: Site) -> dict[str, int]:
    shop = open_shop(site.api, BUTCHER)
    accounts.create_user(site.api.uow(), FAST_HASHER, "chef@example.com", PASSWORD, Role.MERCHANT, [BUTCHER])
    return shop


def _weighing_butcher(site: Site) -> dict[str, int]:
    """The butcher, taking card payments online and capturing them by weight (10% margin)."""
    shop = _butcher(site)
    with site.api.uow() as uow:
        row = uow.shops.get(shop["shop_id"])
        assert row is not None
        row.capture_manually, row.accepts_online, row.capture_margin_percent = True, True, 10
        uow.commit()
    return shop


def _post(site: Site, order_id: str, action: str, **fields: str) -> tuple[int, str]:
    token = csrf_of(site.client.get("/merchant").text)
    response = site.client.post(
        f"/merchant/board/cards/{order_id}/{action}", data={"csrf_token": token, **fields}, headers=BOARD
    )
    return response.status_code, response.text


def test_a_new_order_is_on_the_board_with_who_ordered_and_the_money_in_words(site: Site) -> None:
    # given a butcher with a pay-at-pickup order of 2 merguez and 0.750 kg of entrecôte (5.00 + 24.00 €)
    shop = _butcher(site)
    order = pickup_order(
        site.api, BUTCHER, [(shop["pieces"], "2"), (shop["kg"], "0.750")], "jeanne@example.com", "Jeanne Martin"
    )
    sign_in(site.client, "chef@example.com")
    # when the merchant opens the board in English
    page = site.client.get("/merchant", headers={"Accept-Language": "en-GB,en;q=0.8"}).text
    # then the order is a new card: number, customer, lines with their units, total, and the money in words
    assert _column_of(page, order["number"]) == "new"
    assert "Jeanne Martin" in page and "jeanne@example.com" in page
    assert "2 pieces</span> Merguez" in page and "0.750 kg</span> Entrecôte" in page
    assert "€29.00" in page and "To pay at pickup" in page and "Samedi matin" in page
    assert "Boucherie Dupont" in page  # the shop's name in the header
    # and in French, money, quantities and words are the French ones
    page = site.client.get("/merchant", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).text
    assert f"29,00{NBSP}€" in page and f"0,750{NNBSP}kg</span> Entrecôte" in page and "2 pièces</span> Merguez" in page
    assert "Nouvelles" in page and "À préparer" in page and "À payer au retrait" in page and "Vu" in page
    assert "samedi 5 décembre 2026" in page


def test_seen_moves_the_card_to_prepare_and_is_kept_in_the_history_once(site: Site) -> None:
    # given a new pay-at-pickup order on the board
    shop = _butcher(site)
    order = pickup_order(site.api, BUTCHER, [(shop["pieces"], "2")], "jeanne@example.com", "Jeanne Martin")
    sign_in(site.client, "chef@example.com")
    # when the merchant taps "Seen" twice (a double tap)
    first = _post(site, order["id"], "seen")
    second = _post(site, order["id"], "seen")
    # then the card comes back in "to prepare", and the history says once who saw it
    assert first[0] == 200 and 'data-column="to_prepare"' in first[1]
    assert second[0] == 200 and 'data-column="to_prepare"' in second[1]
    assert _column_of(site.client.get("/merchant").text, order["number"]) == "to_prepare"
    with site.api.uow() as uow:
        found = uow.orders.get(order["id"])
        assert found is not None
        seen = [(h.to_value, h.actor) for h in found.history if h.axis == "counter"]
    assert len(seen) == 1 and seen[0][0] == "seen" and seen[0][1].startswith("merchant:")
    detail = site.client.get(f"/merchant/orders/{order['id']}", headers={"Accept-Language": "fr"}).text
    assert detail.count("vue au comptoir") == 1
    # and the history says why in the merchant's words and language, not in the log's
    assert "à payer au retrait : acceptée sans paiement en ligne" in detail and "confirmed without" not in detail


def test_ready_then_collected_with_the_pickup_code_and_the_money_taken(site: Site) -> None:
    # given a seen pay-at-pickup order of 2 merguez (5.00 €) and its pickup code
    shop = _butcher(site)
    order = pickup_order(site.api, BUTCHER, [(shop["pieces"], "2")], "jeanne@example.com", "Jeanne Martin")
    sign_in(site.client, "chef@example.com")
    _post(site, order["id"], "seen")
    code = order_row(site.api.uow, order["id"], "pickup_code")[0]
    assert code is not None and len(code) == 4
    # when it is marked ready
    status, card = _post(site, order["id"], "ready")
    # then it is in "ready", and the merchant's card does not show the code
    assert status == 200 and 'data-column="ready"' in card and code not in card
    # when the merchant types a wrong code
    wrong = "0000" if code != "0000" else "1111"
    status, card = _post(site, order["id"], "collect", code=wrong, amount="5.00", currency="EUR", method="cash")
    # then nothing is recorded and the card says why
    assert status == 409 and 'data-code="pickup_code_mismatch"' in card and 'data-column="ready"' in card
    assert order_row(site.api.uow, order["id"], "payment_status") == ("unpaid",)
    # when the right code is typed and 5,00 € taken in cash
    status, card = _post(site, order["id"], "collect", code=code, amount="5,00", currency="EUR", method="cash")
    # then the order is paid, collected, and in today's collected column
    assert status == 200 and 'data-column="collected"' in card and "Paid at the counter" in card
    assert order_row(site.api.uow, order["id"]) == ("completed", "paid")


def test_collecting_without_the_code_or_the_amount_is_refused_in_words(site: Site) -> None:
    # given a ready pay-at-pickup order
    shop = _butcher(site)
    order = pickup_order(site.api, BUTCHER, [(shop["pieces"], "2")], "jeanne@example.com", "Jeanne Martin")
    sign_in(site.client, "chef@example.com")
    _post(site, order["id"], "ready")
    code = order_row(site.api.uow, order["id"], "pickup_code")[0]
    assert code is not None
    # when the merchant forgets the code, then the amount, then types the wrong amount
    no_code = _post(site, order["id"], "collect", amount="5.00", currency="EUR", method="cash")
    no_amount = _post(site, order["id"], "collect", code=code)
    wrong_amount = _post(site, order["id"], "collect", code=code, amount="4.00", currency="EUR", method="cash")
    # then each is refused with its reason, and nothing was recorded
    assert no_code[0] == 400 and 'data-code="pickup_code_required"' in no_code[1]
    assert no_amount[0] == 400 and 'data-code="collect_amount_required"' in no_amount[1]
    assert wrong_amount[0] == 409 and 'data-code="collect_amount_mismatch"' in wrong_amount[1]
    assert order_row(site.api.uow, order["id"], "status") == ("ready",)


def test_refusing_with_a_canned_reason_takes_the_order_off_the_board(site: Site) -> None:
    # given a new pay-at-pickup order
    shop = _butcher(site)
    order = pickup_order(site.api, BUTCHER, [(shop["pieces"], "2")], "jeanne@example.com", "Jeanne Martin")
    sign_in(site.client, "chef@example.com")
    # when the merchant refuses it, out of stock
    status, body = _post(site, order["id"], "refuse", canned="out_of_stock")
    # then the card leaves the board, the order is cancelled with the reason the customer reads
    assert status == 204 and body == ""
    assert order["number"] not in site.client.get("/merchant").text
    with site.api.uow() as uow:
        found = uow.orders.get(order["id"])
        assert found is not None and found.status == "cancelled"
        reasons = [h.reason for h in found.history if h.to_value == "cancelled"]
    assert any("out of one of the products" in reason for reason in reasons)


def test_a_second_shops_merchant_sees_nothing_of_the_first_and_cannot_act_on_it(site_both: Site) -> None:
    site = site_both
    # given an order at the butcher's, and the baker's merchant
    shop = open_shop(site.api, BUTCHER)
    open_shop(site.api, BAKER)
    order = pickup_order(site.api, BUTCHER, [(shop["pieces"], "3")], "jeanne@example.com", "Jeanne Martin")
    accounts.create_user(site.api.uow(), FAST_HASHER, "mie@example.com", PASSWORD, Role.MERCHANT, [BAKER])
    # when the baker opens the board, asks for the butcher's card and taps "Seen" on it
    sign_in(site.client, "mie@example.com")
    page = site.client.get("/merchant", headers={"Accept-Language": "en"}).text
    card = site.client.get(f"/merchant/board/cards/{order['id']}")
    seen = _post(site, order["id"], "seen")
    # then nothing of the butcher's order shows, and nothing happened to it
    assert order["number"] not in page and "Jeanne" not in page and "Merguez" not in page
    assert "No new order." in page and "Boulangerie Martin" in page
    assert card.status_code == 404 and seen[0] == 404
    with site.api.uow() as uow:
        found = uow.orders.get(order["id"])
        assert found is not None and not [h for h in found.history if h.axis == "counter"]


def test_an_open_order_of_yesterday_stays_but_yesterdays_collected_ones_go(site_both: Site) -> None:
    site = site_both
    # given two orders placed yesterday evening, Paris time: one collected then, one still to prepare
    shop = _butcher(site)
    site.clock.now = site.clock.now.replace(hour=20, minute=30)  # 21:30 in Paris
    open_order = pickup_order(site.api, BUTCHER, [(shop["pieces"], "1")], "jeanne@example.com", "Jeanne Martin")
    done = pickup_order(site.api, BUTCHER, [(shop["pieces"], "1")], "paul@example.com", "Paul Durand")
    sign_in(site.client, "chef@example.com")
    code = order_row(site.api.uow, done["id"], "pickup_code")[0]
    assert code is not None
    _post(site, done["id"], "collect", code=code, amount="2.50", currency="EUR", method="card_terminal")
    # when the merchant opens the board the next morning
    site.clock.advance(hours=12)
    page = site.client.get("/merchant").text
    # then last night's open order is this morning's work, and last night's collected one is gone
    assert _column_of(page, open_order["number"]) == "new"
    assert done["number"] not in page


def test_today_and_the_times_are_in_the_shop_s_own_time_zone(site: Site) -> None:
    # given a shop in Martinique (UTC-4) whose settings say so, and an order at 02:30 UTC: 22:30 the day before there
    shop = _butcher(site)
    with site.api.uow() as uow:
        found = uow.shops.get(shop["shop_id"])
        assert found is not None
        found.time_zone = "America/Martinique"
        uow.commit()
    site.clock.now = site.clock.now.replace(hour=2, minute=30)
    order = pickup_order(site.api, BUTCHER, [(shop["pieces"], "1")], "jeanne@example.com", "Jeanne Martin")
    sign_in(site.client, "chef@example.com")
    # when the merchant looks at the board that evening, Martinique time
    page = site.client.get("/merchant", headers={"Accept-Language": "en"}).text
    # then the order shows at its local time, on the local date (in Paris it would be the 5th, 03:30)
    assert order["number"] in page and "10:30" in page and "December 4, 2026" in page


def test_hostile_ids_and_event_positions_get_a_plain_answer(site: Site) -> None:
    # given a signed-in merchant
    _butcher(site)
    sign_in(site.client, "chef@example.com")
    # when ids of the wrong shape and a nonsense event position are sent
    odd_card = site.client.get("/merchant/board/cards/..%2F..%2Fetc")
    long_card = site.client.get("/merchant/board/cards/ord_" + "x" * 500)
    seen = _post(site, "ord_" + "x" * 500, "seen")
    # then they are not found, never a server error
    assert odd_card.status_code == 404 and long_card.status_code == 404 and seen[0] == 404


def test_an_authorised_card_shows_its_capture_countdown_and_is_flagged_the_day_before(card_site: Site) -> None:
    site = card_site
    # given a shop that captures by weight, and 1.500 kg of entrecôte authorised on a card at 10:00 Paris time
    shop = _weighing_butcher(site)
    order = card_order(site.api, BUTCHER, [(shop["kg"], "1.500")], "jeanne@example.com", "Jeanne Martin")
    sign_in(site.client, "chef@example.com")
    # when the merchant opens the board the same day
    page = site.client.get("/merchant", headers={"Accept-Language": "en"}).text
    # then the card says what the card holds, until when, in days, and offers to weigh instead of "ready"
    assert _column_of(page, order["number"]) == "new" and "Card authorised" in page
    assert "The card holds €52.80" in page and "(in 7 days)" in page and 'data-days-left="7"' in page
    assert 'data-testid="due-soon"' not in page
    _post(site, order["id"], "seen")
    card = site.client.get(f"/merchant/board/cards/{order['id']}", headers={"Accept-Language": "fr"}).text
    assert 'data-testid="weigh"' in card and 'data-testid="ready"' not in card and "(dans 7 jours)" in card
    # when six days and a few hours have passed
    site.clock.advance(days=6, hours=2)
    sign_in(site.client, "chef@example.com")  # the session lapsed after 12 hours idle
    page = site.client.get("/merchant", headers={"Accept-Language": "en"}).text
    # then the board lists it under the payments to take today, with the way to weigh it
    assert 'data-testid="due-soon"' in page and "(tomorrow)" in page
    assert f'href="/merchant/orders/{order["id"]}/weigh?after=board"' in page
    assert 'href="mailto:jeanne@example.com">Write to Jeanne Martin<' in page


def test_weighing_from_the_board_comes_back_to_the_board(card_site: Site) -> None:
    site = card_site
    # given an authorised card order of 1.500 kg, seen on the board
    shop = _weighing_butcher(site)
    order = card_order(site.api, BUTCHER, [(shop["kg"], "1.500")], "jeanne@example.com", "Jeanne Martin")
    sign_in(site.client, "chef@example.com")
    _post(site, order["id"], "seen")
    # when the merchant follows the card's weigh link, weighs 1,250 kg and confirms
    form = site.client.get(f"/merchant/orders/{order['id']}/weigh?after=board", headers={"Accept-Language": "en"})
    line = re.search(r'name="(weight-\d+)"', form.text)
    assert line is not None and 'name="after" value="board"' in form.text and "Back to the board" in form.text
    done = site.client.post(
        f"/merchant/orders/{order['id']}/weigh",
        data={"csrf_token": csrf_of(form.text), line.group(1): "1,250", "confirm": "yes", "after": "board"},
        follow_redirects=False,
    )
    # then they are back on the board, where the order waits in "ready"
    assert done.status_code == 303 and done.headers["location"] == "/merchant"
    assert _column_of(site.client.get("/merchant").text, order["number"]) == "ready"


def test_the_card_shows_every_pickup_detail_the_customer_gave(site: Site) -> None:
    # given a pickup order with a slot and a note
    shop = _butcher(site)
    token = site.client.post(
        "/api/auth/register", json={"email": "paul@example.com", "password": PASSWORD, "name": "Paul Durand"}
    ).json()["access_token"]
    placed = site.client.post(
        "/api/orders",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "shop": BUTCHER,
            "lines": [{"product_id": shop["pieces"], "quantity": "1"}],
            "payment_method": "on_pickup",
            "pickup": {"slot": "samedi 10h", "note": "sans gras"},
        },
    )
    assert placed.status_code == 201, placed.text
    sign_in(site.client, "chef@example.com")
    # when the merchant opens the board
    page = site.client.get("/merchant", headers={"Accept-Language": "en"}).text
    # then the card says both
    assert "Pickup: samedi 10h · sans gras" in page


def test_a_pay_at_pickup_order_sold_by_weight_is_weighed_then_paid_at_the_new_total(site: Site) -> None:
    # given a pay-at-pickup order of 0.750 kg of entrecôte at 32.00 €/kg (24.00 €), seen on the board
    shop = _butcher(site)
    order = pickup_order(site.api, BUTCHER, [(shop["kg"], "0.750")], "jeanne@example.com", "Jeanne Martin")
    sign_in(site.client, "chef@example.com")
    _post(site, order["id"], "seen")
    card = site.client.get(f"/merchant/board/cards/{order['id']}", headers={"Accept-Language": "en"}).text
    assert 'data-testid="weigh"' in card and 'data-testid="ready"' in card
    # when the piece on the scale weighs 0,800 kg: the new total is shown first, then confirmed
    form = site.client.get(f"/merchant/orders/{order['id']}/weigh?after=board", headers={"Accept-Language": "en"})
    assert 'data-testid="at-pickup"' in form.text
    line = re.search(r'name="(weight-\d+)"', form.text)
    assert line is not None
    fields = {"csrf_token": csrf_of(form.text), line.group(1): "0,800", "after": "board"}
    preview = site.client.post(f"/merchant/orders/{order['id']}/weigh", data=fields, headers={"Accept-Language": "en"})
    assert "€25.60" in preview.text and "Set the total to €25.60 and mark ready" in preview.text
    done = site.client.post(
        f"/merchant/orders/{order['id']}/weigh", data={**fields, "confirm": "yes"}, follow_redirects=False
    )
    # then the order is ready at 25.60, and the counter takes exactly that with the customer's code
    assert done.status_code == 303 and done.headers["location"] == "/merchant"
    assert order_row(site.api.uow, order["id"], "status", "total") == ("ready", 2560)
    code = order_row(site.api.uow, order["id"], "pickup_code")[0]
    old_total = _post(site, order["id"], "collect", code=code, amount="24.00", currency="EUR", method="cash")
    assert old_total[0] == 409 and 'data-code="collect_amount_mismatch"' in old_total[1]
    status, card = _post(site, order["id"], "collect", code=code, amount="25,60", currency="EUR", method="cash")
    assert status == 200 and 'data-column="collected"' in card
    assert order_row(site.api.uow, order["id"]) == ("completed", "paid")


def test_telling_the_customer_again_sends_one_more_message_per_tap_not_per_double_tap(site: Site) -> None:
    # given a ready pay-at-pickup order: the customer was told once
    shop = _butcher(site)
    order = pickup_order(site.api, BUTCHER, [(shop["pieces"], "2")], "jeanne@example.com", "Jeanne Martin")
    sign_in(site.client, "chef@example.com")
    _post(site, order["id"], "ready")

    def told() -> int:
        with site.api.uow() as uow:
            return sum(1 for m in uow.outbox.for_order(order["id"]) if m.topic == "ready_for_pickup")

    assert told() == 1
    # when the merchant double-taps "Tell the customer again"
    first = _post(site, order["id"], "ready-again")
    second = _post(site, order["id"], "ready-again")
    # then one more message is queued, and the card says it was sent
    assert first[0] == second[0] == 200 and 'data-testid="sent-again"' in first[1]
    assert told() == 2
    # and ten minutes later, another tap sends another
    site.clock.advance(minutes=10)
    _post(site, order["id"], "ready-again")
    assert told() == 3
