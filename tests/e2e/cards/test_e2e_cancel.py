"""A cancelled order takes no money: cancelling closes every payment path first, and money that
still lands on a cancelled order is refunded — against the real sandbox, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from comptoir.domain.actors import Role
from comptoir.sandbox.faults import Faults
from comptoir.services.orders import ordering
from tests.e2e.cards.cancel_races import CANCELLED_NET_ZERO, PAID_LIVE, SCENARIOS, SUCCEEDS, THREE_DS, CancelRaces
from tests.e2e.cards.conftest import PRICE, STOCK, Cards, WeighingShop
from tests.factories import add_user
from tests.servers import Buyer

RUNS_IN_SUITE = 2
"""Rounds per scenario here; `bench/cancel_races.py --runs 200` runs the full count."""


def _json(answer: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _cancel(cards: Cards, customer: Any, order_id: str) -> httpx.Response:
    return cards.http.post(f"/api/orders/{order_id}/cancel", headers=customer.headers, json={})


def test_cancelling_expires_the_open_checkout_session(cards: Cards, buyer: Buyer) -> None:
    # given an order whose hosted payment page is open
    customer = cards.stack.customer()
    order = cards.order(customer)
    session = cards.stack.start_checkout(customer, order["id"])
    # when the customer cancels the order
    cancelled = _json(_cancel(cards, customer, order["id"]))
    # then the session is expired at Stripe with our key, so the page can no longer take money
    assert (cancelled["status"], cancelled["payment_status"]) == ("cancelled", "unpaid")
    assert cards.stack.stripe.v1.checkout.sessions.retrieve(session["id"]).status == "expired"
    assert buyer.open(session["url"]).state() == "expired"
    cards.stack.settle()
    state = cards.stack.order(order["id"])
    assert state.ledger == () and state.status == "cancelled"
    assert cards.stack.stock_accounted(cards.product) == (STOCK * 1000, 0)


def test_cancelling_cancels_a_card_payment_waiting_for_3ds(cards: Cards, buyer: Buyer) -> None:
    # given /pay waiting for the buyer's 3-D Secure challenge
    customer = cards.stack.customer()
    order = cards.order(customer)
    pending = _json(cards.pay(customer, order["id"], payment_method_id=cards.card(THREE_DS)))
    assert pending["status"] == "requires_action"
    # when the customer cancels the order
    _json(_cancel(cards, customer, order["id"]))
    # then the PaymentIntent is canceled at Stripe: the challenge page offers nothing to complete
    assert cards.stack.stripe.v1.payment_intents.retrieve(pending["payment_intent_id"]).status == "canceled"
    assert "csrf_token" not in buyer.open(cards.challenge_url(pending)).html
    finish = cards.pay(customer, order["id"], payment_intent_id=pending["payment_intent_id"])
    assert _json(finish, 409)["code"] == "payment_canceled"
    cards.stack.settle()
    state = cards.stack.order(order["id"])
    assert state.ledger == () and (state.status, state.payment_status) == ("cancelled", "unpaid")
    assert cards.stack.stripe.v1.payment_intents.retrieve(pending["payment_intent_id"]).amount_received == 0


def test_the_hold_expiry_sweep_expires_the_open_session_before_cancelling(cards: Cards, buyer: Buyer) -> None:
    # given an order whose hosted page is still open at Stripe when the sweep finds its hold over
    customer = cards.stack.customer()
    order = cards.order(customer)
    session = cards.stack.start_checkout(customer, order["id"])
    later = cards.stack.now() + timedelta(minutes=31)
    # when the expiry sweep runs
    released = ordering.release_expired_holds(cards.stack.uows(), cards.stack.app.state.gateway, later)
    # then the session was expired first, and the order cancelled with its stock back
    assert released == [order["id"]]
    assert cards.stack.stripe.v1.checkout.sessions.retrieve(session["id"]).status == "expired"
    assert buyer.open(session["url"]).state() == "expired"
    cards.stack.settle()
    assert (cards.stack.order(order["id"]).status, cards.stack.order(order["id"]).ledger) == ("cancelled", ())
    assert cards.stack.stock_accounted(cards.product) == (STOCK * 1000, 0)


def test_refusing_cancels_a_card_payment_waiting_for_3ds(cards: Cards) -> None:
    # given /pay waiting for the buyer's 3-D Secure challenge
    customer = cards.stack.customer()
    order = cards.order(customer)
    pending = _json(cards.pay(customer, order["id"], payment_method_id=cards.card(THREE_DS)))
    merchant = cards.login(add_user(cards.stack.uows, role=Role.MERCHANT, shops=[cards.shop]).email)
    # when the shop refuses the order
    refused = cards.http.post(
        f"/api/merchant/orders/{order['id']}/refuse", headers=merchant, json={"reason": "sold out"}
    )
    # then the PaymentIntent can no longer be paid, and nothing was taken
    assert _json(refused)["status"] == "cancelled"
    assert cards.stack.stripe.v1.payment_intents.retrieve(pending["payment_intent_id"]).status == "canceled"
    cards.stack.settle()
    assert cards.stack.order(order["id"]).ledger == ()


def test_a_cancel_that_loses_to_the_payment_is_409_and_the_order_stays_paid(cards: Cards, buyer: Buyer) -> None:
    # given a hosted page the customer has just paid, whose webhook has not been applied yet
    customer = cards.stack.customer()
    order = cards.order(customer)
    session = cards.stack.start_checkout(customer, order["id"])
    cards.stack.running.webhooks.set_faults(Faults(drop=1.0))  # every event lost: only the cancel's look at Stripe
    assert buyer.pay_card(session["url"], SUCCEEDS).status == 303
    # when the customer cancels
    refused = _json(_cancel(cards, customer, order["id"]), 409)
    # then the payment won: the cancel says so, and the order is paid and live
    assert (refused["code"], refused["payment_status"]) == ("not_cancellable", "paid")
    state = cards.stack.order(order["id"])
    assert (state.status, state.payment_status) == ("confirmed", "paid")
    assert [amount for _, amount, _ in state.entries("payment")] == [2 * PRICE]


def test_money_landing_on_a_cancelled_order_is_refunded_recorded_and_told(cards: Cards, buyer: Buyer) -> None:
    # given a cancelled order, and a payment page for it the shop never stored
    customer = cards.stack.customer()
    order = cards.order(customer)
    unseen = _session_the_shop_never_stored(cards, order)
    _json(_cancel(cards, customer, order["id"]))
    # when that page is paid after the cancel and its webhook lands
    assert buyer.pay_card(unseen.url, SUCCEEDS).status == 303
    cards.stack.settle()
    refunded = cards.refund_duplicates()  # the worker's tick
    cards.stack.settle()
    # then the payment is refunded in full with our key, both are in the ledger, and the customer is told
    intent_id = cards.stack.stripe.v1.checkout.sessions.retrieve(unseen.id).payment_intent
    assert [(r.payment_intent_id, r.code) for r in refunded] == [(intent_id, "paid_after_cancellation")]
    refunds = cards.stack.stripe.v1.refunds.list({"payment_intent": intent_id}).data
    assert [(r.amount, r.status) for r in refunds] == [(order["total"], "succeeded")]
    state = cards.stack.order(order["id"])
    assert (state.status, state.payment_status) == ("cancelled", "refunded")
    assert state.entries("payment") == [("payment", order["total"], intent_id)]
    assert state.entries("refund") == [("refund", order["total"], refunds[0].id)]
    assert state.outbox.count("refund_issued") == 1
    assert cards.stack.stock_accounted(cards.product) == (STOCK * 1000, 0)


def test_the_success_page_refunds_money_on_a_cancelled_order_at_once(cards: Cards, buyer: Buyer) -> None:
    # given a cancelled order, a payment page for it the shop never stored, and webhooks that never arrive
    customer = cards.stack.customer()
    order = cards.order(customer)
    unseen = _session_the_shop_never_stored(cards, order)
    _json(_cancel(cards, customer, order["id"]))
    cards.stack.running.webhooks.set_faults(Faults(drop=1.0))
    # when the page is paid and the buyer lands on the shop's success page
    landed = buyer.follow(buyer.pay_card(unseen.url, SUCCEEDS))
    # then, with no worker tick, the payment is already refunded and recorded
    assert landed.status == 200
    intent_id = cards.stack.stripe.v1.checkout.sessions.retrieve(unseen.id).payment_intent
    refunds = cards.stack.stripe.v1.refunds.list({"payment_intent": intent_id}).data
    assert [(r.amount, r.status) for r in refunds] == [(order["total"], "succeeded")]
    state = cards.stack.order(order["id"])
    assert (state.status, state.payment_status) == ("cancelled", "refunded")
    assert state.entries("refund") == [("refund", order["total"], refunds[0].id)]


def test_a_card_authorised_on_the_hosted_page_for_a_cancelled_order_is_released(
    butcher: WeighingShop, buyer: Buyer
) -> None:
    # given a butcher's order (the card is only authorised), cancelled while its hosted page stays open
    cards = butcher.cards
    order, session = _cancelled_with_its_hosted_page_open(cards)
    # when the page is paid after the cancel (a hold on the card) and its webhook lands
    assert buyer.pay_card(session["url"], SUCCEEDS).status == 303
    cards.stack.settle()
    released = cards.refund_duplicates()  # the worker's tick
    cards.stack.settle()
    # then the PaymentIntent is canceled at the sandbox under the attempt's cancel key: nothing is held
    intent_id = cards.stack.stripe.v1.checkout.sessions.retrieve(session["id"]).payment_intent
    assert [(r.payment_intent_id, r.code) for r in released] == [(intent_id, "authorised_after_cancellation")]
    intent = cards.stack.stripe.v1.payment_intents.retrieve(intent_id)
    assert (intent.status, intent.amount_capturable, intent.amount_received) == ("canceled", 0, 0)
    # and the order shows no hold, its review is closed, and the customer is told nothing was charged
    state = cards.stack.order(order["id"])
    assert (state.status, state.payment_status, state.ledger) == ("cancelled", "unpaid", ())
    assert state.outbox.count("authorisation_released") == 1
    with cards.stack.uows() as uow:
        (attempt,) = uow.payments.attempts(order["id"])
        assert attempt.state == "canceled"
        assert uow.payments.open_reviews_with_code("authorised_after_cancellation", order_id=order["id"]) == []
    # and a later tick has nothing left to release
    assert cards.refund_duplicates() == []


def test_the_success_page_releases_a_card_authorised_for_a_cancelled_order_at_once(
    butcher: WeighingShop, buyer: Buyer
) -> None:
    # given a butcher's order cancelled while its hosted page stays open, and webhooks that never arrive
    cards = butcher.cards
    order, session = _cancelled_with_its_hosted_page_open(cards)
    cards.stack.running.webhooks.set_faults(Faults(drop=1.0))
    # when the page is paid (a hold on the card) and the buyer lands on the shop's success page
    landed = buyer.follow(buyer.pay_card(session["url"], SUCCEEDS))
    # then, with no worker tick, the hold is already released and the order shows none
    assert landed.status == 200
    intent_id = cards.stack.stripe.v1.checkout.sessions.retrieve(session["id"]).payment_intent
    assert cards.stack.stripe.v1.payment_intents.retrieve(intent_id).status == "canceled"
    state = cards.stack.order(order["id"])
    assert (state.status, state.payment_status, state.ledger) == ("cancelled", "unpaid", ())
    assert state.outbox.count("authorisation_released") == 1


def _cancelled_with_its_hosted_page_open(cards: Cards) -> tuple[dict[str, Any], dict[str, Any]]:
    """An order cancelled while its Checkout Session is open, one the cancel could not close: the
    session was created, but the process was killed before it stored the session's id."""
    customer = cards.stack.customer()
    order = cards.order(customer)
    session = cards.stack.start_checkout(customer, order["id"])
    cards.stack.forget_session(order["id"])
    assert _json(_cancel(cards, customer, order["id"]))["status"] == "cancelled"
    return order, session


def _session_the_shop_never_stored(cards: Cards, order: dict[str, Any]) -> Any:
    """A Checkout Session for the order, made as the shop makes them, whose id the shop never stored
    (another tab's checkout created while the cancel was closing the paths it knew of)."""
    return cards.stack.stripe.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {"currency": "eur", "unit_amount": order["total"], "product_data": {"name": "order"}},
                }
            ],
            "metadata": {"order_id": order["id"]},
            "client_reference_id": order["id"],
            "payment_intent_data": {"metadata": {"order_id": order["id"]}},
            "success_url": f"{cards.stack.shop_url}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}",
            "payment_method_types": ["card"],
        }
    )


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_cancel_and_pay_at_once_end_paid_live_or_cancelled_with_no_money_kept(
    cards: Cards, buyer: Buyer, scenario: str
) -> None:
    # given a fresh order per round with a payment path open
    races = CancelRaces(cards, buyer)
    # when paying it and cancelling it (or refusing it, or expiring its hold) happen at the same instant
    verdicts = [races.run(scenario) for _ in range(RUNS_IN_SUITE)]
    # then every round ends paid and live, or cancelled with no money kept, in the ledger and at Stripe
    assert all(v.kind in {PAID_LIVE, CANCELLED_NET_ZERO} for v in verdicts), verdicts
