"""The customer's landing pages say what actually happened to the order, in the customer's words.

The shop and the sandbox are real HTTP servers (the merchant stack); each case is reached the way a
customer reaches it, and the cancel URL Stripe sends the customer back to is then opened."""

from __future__ import annotations

import html
import re

from tests.e2e.checkout.stack import EXPIRY_WAIT
from tests.e2e.merchant.conftest import Butcher
from tests.servers import Buyer

EXPIRED = "Its reservation ended before it was paid."
_BADGE = re.compile(r'data-testid="(payment|order)-status" data-status="([^"]+)">([^<]+)<')
NOTHING_CHARGED = "Nothing was charged."


def _cancel_page(butcher: Butcher, buyer: Buyer, order_id: str) -> str:
    page = buyer.open(f"{butcher.stack.shop_url}/checkout/cancel?order_id={order_id}")
    assert page.status == 200, page.html
    return page.html


def _cancel_page_text(butcher: Butcher, buyer: Buyer, order_id: str) -> str:
    markup = _cancel_page(butcher, buyer, order_id)
    main = re.split(r"<main\b[^>]*>", markup)[1]  # the page's own words, not the layout's header
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def _badges(butcher: Butcher, buyer: Buyer, order_id: str) -> dict[str, tuple[str, str]]:
    """Each status badge on the cancel page: axis -> (the value kept for machines, the words shown)."""
    found = _BADGE.findall(_cancel_page(butcher, buyer, order_id))
    return {axis: (value, html.unescape(words)) for axis, value, words in found}


def test_an_order_paid_then_refused_by_the_shop_says_so_and_that_it_was_refunded(
    butcher: Butcher, buyer: Buyer
) -> None:
    # given an order paid online, then refused by the butcher (refunded in full)
    customer = butcher.customer()
    order = butcher.place(customer)
    butcher.pay(buyer, customer, order["id"])
    assert butcher.post(order["id"], "refuse", {"reason": "plus d'entrecôte"}).json()["payment_status"] == "refunded"
    # when the customer opens the cancel page
    text = _cancel_page_text(butcher, buyer, order["id"])
    # then it says the shop cancelled it and the payment was refunded, not that nothing was charged
    assert f"{butcher.shop.name} could not take this order and cancelled it." in text
    assert "Your payment has been refunded in full." in text
    assert EXPIRED not in text and NOTHING_CHARGED not in text


def test_an_order_the_customer_cancelled_says_they_cancelled_it(butcher: Butcher, buyer: Buyer) -> None:
    # given an unpaid order the customer cancelled
    customer = butcher.customer()
    order = butcher.place(customer)
    cancelled = butcher.http.post(f"/api/orders/{order['id']}/cancel", headers=customer.headers)
    assert cancelled.json()["status"] == "cancelled"
    # when they open the cancel page, then it says they cancelled it and nothing was charged
    text = _cancel_page_text(butcher, buyer, order["id"])
    assert "You cancelled this order." in text and NOTHING_CHARGED in text
    assert EXPIRED not in text


def test_an_unpaid_order_refused_by_the_shop_says_the_shop_cancelled_it(butcher: Butcher, buyer: Buyer) -> None:
    # given an unpaid order the butcher refused
    order = butcher.place(butcher.customer())
    assert butcher.post(order["id"], "refuse", {"reason": "fermeture"}).json()["status"] == "cancelled"
    # when the customer opens the cancel page, then the shop cancelled it and nothing was charged
    text = _cancel_page_text(butcher, buyer, order["id"])
    assert f"{butcher.shop.name} could not take this order and cancelled it." in text and NOTHING_CHARGED in text


def test_an_order_whose_reservation_ran_out_says_so(butcher: Butcher, buyer: Buyer) -> None:
    # given an order whose checkout session and stock hold expired unpaid
    customer = butcher.customer()
    order = butcher.place(customer)
    butcher.stack.start_checkout(customer, order["id"])
    butcher.stack.advance(EXPIRY_WAIT)
    butcher.stack.settle()
    butcher.stack.wait_order(order["id"], "the order to be cancelled", lambda s: s.status == "cancelled")
    # when the customer opens the cancel page, then its reservation ended and nothing was charged
    text = _cancel_page_text(butcher, buyer, order["id"])
    assert EXPIRED in text and NOTHING_CHARGED in text


def test_an_unpaid_order_with_no_open_payment_link_shows_no_api_route(butcher: Butcher, buyer: Buyer) -> None:
    # given an unpaid order for which no payment page was opened
    order = butcher.place(butcher.customer())
    # when the customer lands on the cancel page
    text = _cancel_page_text(butcher, buyer, order["id"])
    # then it tells them how to pay in their words, with no API route in sight
    assert "You have not paid yet" in text
    assert f"go back to {butcher.shop.name} and choose to pay again" in text
    assert "/api/" not in text and "POST" not in text and "checkout-session" not in text


def test_both_statuses_read_in_the_customer_s_words_and_keep_their_value_for_machines(
    butcher: Butcher, buyer: Buyer
) -> None:
    # given an unpaid order, a paid one, and a paid one the shop then refused (refunded in full)
    customer = butcher.customer()
    unpaid, paid, refused = (butcher.place(customer, quantity=1)["id"] for _ in range(3))
    butcher.pay(buyer, customer, paid)
    butcher.pay(buyer, customer, refused)
    assert butcher.post(refused, "refuse", {"reason": "rupture"}).json()["payment_status"] == "refunded"
    # when the customer opens each one's landing page, then each badge shows words, the value beside them
    assert _badges(butcher, buyer, unpaid) == {
        "payment": ("unpaid", "Not paid"),
        "order": ("pending", "Order received"),
    }
    assert _badges(butcher, buyer, paid) == {
        "payment": ("paid", "Paid"),
        "order": ("confirmed", "Accepted by the shop"),
    }
    assert _badges(butcher, buyer, refused) == {
        "payment": ("refunded", "Refunded"),
        "order": ("cancelled", "Cancelled"),
    }


def test_an_order_refused_by_the_shop_shows_the_shop_s_reason_as_plain_text(butcher: Butcher, buyer: Buyer) -> None:
    # given an unpaid order the butcher refused, saying why (with markup in it)
    order = butcher.place(butcher.customer())["id"]
    reason = "Plus d'entrecôte ce soir <script>alert(1)</script>"
    assert butcher.post(order, "refuse", {"reason": reason}).json()["status"] == "cancelled"
    # when the customer opens the cancel page
    markup = _cancel_page(butcher, buyer, order)
    # then the shop's reason is there in its own words, as text, never as markup
    assert reason in _cancel_page_text(butcher, buyer, order)
    assert 'data-testid="refusal-reason"' in markup
    assert "<script>alert(1)</script>" not in markup


def test_a_customer_s_own_cancellation_shows_no_shop_reason(butcher: Butcher, buyer: Buyer) -> None:
    # given an order its customer cancelled
    customer = butcher.customer()
    order = butcher.place(customer)["id"]
    assert butcher.http.post(f"/api/orders/{order}/cancel", headers=customer.headers).status_code == 200
    # when they open the cancel page, then no reason is put in the shop's mouth
    assert 'data-testid="refusal-reason"' not in _cancel_page(butcher, buyer, order)
