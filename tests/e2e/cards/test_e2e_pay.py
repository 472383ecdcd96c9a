"""`POST /api/orders/{id}/pay` end to end against the real sandbox, on SQLite and PostgreSQL.

The page's card becomes a PaymentMethod as Stripe.js would make it; the shop creates and confirms
the PaymentIntent through the official SDK; 3-D Secure is completed or failed on the sandbox's
challenge page by an HTTP client; webhooks travel signed over real sockets and must agree with
the synchronous answers. Asynchronous outcomes are awaited by polling with a deadline.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from comptoir.domain.payment_messages import FOR_CUSTOMERS
from tests.e2e.cards.conftest import Cards, WeighingShop
from tests.e2e.checkout.stack import Stack
from tests.servers import Buyer, Page
from tests.support import race

SUCCEEDS = "4242424242424242"

# facts §7.3, every 3-D Secure card: (number, asks for a challenge, outcome after completing it)
THREE_DS_CARDS = [
    ("4000002500003155", True, "succeeded"),  # pm_card_authenticationRequiredOnSetup
    ("4000002760003184", True, "succeeded"),  # pm_card_authenticationRequired
    ("4000003800000446", True, "succeeded"),  # set up for off-session: on-session still authenticates
    ("4000008260003178", True, "insufficient_funds"),  # authenticates, then declined
    ("4000000000003220", True, "succeeded"),  # pm_card_threeDSecure2Required (IE)
    ("4000008400000027", True, "succeeded"),  # 3DS2 required (US)
    ("4000008400001629", True, "card_declined"),  # pm_card_threeDSecureRequiredChargeDeclined
    ("4000008400001280", False, "processing_error"),  # lookup fails: declined without a challenge
    ("4000000000003055", False, "succeeded"),  # optional, not requested: no challenge
    ("4000000000003097", False, "succeeded"),  # optional (errors only if 3DS were requested)
    ("4242424242424242", False, "succeeded"),  # supported, not enrolled
    ("378282246310005", False, "succeeded"),  # Amex, 3DS not supported
    ("4000000032200000", False, "succeeded"),  # frictionless
    ("4000000000003063", True, "succeeded"),  # the older "3DS required" card
]

# facts §7.2: (PaymentMethod, error code, decline code)
DECLINES = [
    ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline"),
    ("pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
    ("pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card"),
    ("pm_card_visa_chargeDeclinedStolenCard", "card_declined", "stolen_card"),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
    ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"),
    ("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error"),
    ("pm_card_visa_chargeDeclinedVelocityLimitExceeded", "card_declined", "card_velocity_exceeded"),
]


def _json(answer: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _one_payment(stack: Stack, order_id: str, intent_id: str, amount: int) -> None:
    """After every webhook was delivered: exactly one payment, by that intent, and the order paid."""
    stack.settle()
    state = stack.order(order_id)
    assert state.entries("payment") == [("payment", amount, intent_id)]
    assert (state.status, state.payment_status) == ("confirmed", "paid")
    assert state.outbox.count("receipt") == 1


@pytest.mark.parametrize(("number", "challenged", "outcome"), THREE_DS_CARDS, ids=[c[0] for c in THREE_DS_CARDS])
def test_each_3ds_card_through_pay(cards: Cards, buyer: Buyer, number: str, challenged: bool, outcome: str) -> None:
    # given a pending order of 50.00 EUR
    customer = cards.stack.customer()
    order = cards.order(customer)
    # when the customer pays with the card
    answer = cards.pay(customer, order["id"], payment_method_id=cards.card(number))
    if challenged:
        # then the shop asks for 3-D Secure, and the buyer completes it on the challenge page
        first = _json(answer)
        assert first["status"] == "requires_action" and first["client_secret"], first
        assert first["order"]["payment_status"] == "unpaid"
        assert buyer.choose_3ds(cards.challenge_url(first), "complete").status == 200
        answer = cards.pay(customer, order["id"], payment_intent_id=first["payment_intent_id"])
    if outcome == "succeeded":
        # then the order is paid once by one intent, whatever the webhooks do
        done = _json(answer)
        assert done["status"] == "succeeded" and done["order"]["payment_status"] == "paid"
        assert [i.id for i in cards.intents_of(order["id"])] == [done["payment_intent_id"]]
        _one_payment(cards.stack, order["id"], done["payment_intent_id"], 5000)
    else:
        # then it is a 402 naming the decline, and nothing was recorded
        problem = _json(answer, 402)
        assert outcome in {problem["code"], problem["decline_code"]}, problem
        assert problem["message"]
        cards.stack.settle()
        state = cards.stack.order(order["id"])
        assert state.ledger == () and (state.status, state.payment_status) == ("pending", "failed")


def test_failed_authentication_then_a_good_card_pays_the_same_intent(cards: Cards, buyer: Buyer) -> None:
    customer = cards.stack.customer()
    order = cards.order(customer)
    first = _json(cards.pay(customer, order["id"], payment_method_id=cards.card("4000002760003184")))
    # when the buyer clicks Fail on the challenge and the page reports back
    assert buyer.choose_3ds(cards.challenge_url(first), "fail").status == 200
    failed = _json(cards.pay(customer, order["id"], payment_intent_id=first["payment_intent_id"]), 402)
    # then it is an authentication failure, told in the customer's words (not Stripe's developer message)
    assert failed["code"] == "payment_intent_authentication_failure"
    assert failed["message"] == FOR_CUSTOMERS["payment_intent_authentication_failure"]
    assert "PaymentMethod" not in failed["message"] and "PaymentMethod" in failed["detail"]
    # and a good card then pays the SAME intent
    done = _json(cards.pay(customer, order["id"], payment_method_id=cards.card(SUCCEEDS)))
    assert done["status"] == "succeeded" and done["payment_intent_id"] == first["payment_intent_id"]
    assert len(cards.intents_of(order["id"])) == 1
    _one_payment(cards.stack, order["id"], first["payment_intent_id"], 5000)


def test_failing_3ds_then_the_same_card_again_gets_a_new_challenge(cards: Cards, buyer: Buyer) -> None:
    customer = cards.stack.customer()
    order = cards.order(customer)
    card = cards.card("4000000000003220")
    first = _json(cards.pay(customer, order["id"], payment_method_id=card))
    assert buyer.choose_3ds(cards.challenge_url(first), "fail").status == 200
    assert _json(cards.pay(customer, order["id"], payment_intent_id=first["payment_intent_id"]), 402)
    # when the buyer submits the same card again, then the shop confirms again (no replay of the old answer)
    again = _json(cards.pay(customer, order["id"], payment_method_id=card))
    assert again["status"] == "requires_action" and again["payment_intent_id"] == first["payment_intent_id"]
    assert buyer.choose_3ds(cards.challenge_url(again), "complete").status == 200
    done = _json(cards.pay(customer, order["id"], payment_intent_id=again["payment_intent_id"]))
    assert done["status"] == "succeeded"
    _one_payment(cards.stack, order["id"], first["payment_intent_id"], 5000)


@pytest.mark.parametrize(("payment_method", "code", "decline_code"), DECLINES, ids=[d[2] for d in DECLINES])
def test_a_decline_then_success_on_the_same_intent(
    cards: Cards, payment_method: str, code: str, decline_code: str
) -> None:
    customer = cards.stack.customer()
    order = cards.order(customer)
    # when the first card is declined
    problem = _json(cards.pay(customer, order["id"], payment_method_id=payment_method), 402)
    # then the answer is problem+json with Stripe's code, decline code and message, and the order shows it
    assert (problem["code"], problem["decline_code"]) == (code, decline_code)
    assert problem["message"] and problem["payment_intent_id"].startswith("pi_")
    assert _json(cards.http.get(f"/api/orders/{order['id']}", headers=customer.headers))["payment_status"] == "failed"
    # when a good card follows, then the same intent is paid, and it is the only one
    done = _json(cards.pay(customer, order["id"], payment_method_id="pm_card_visa"))
    assert done["status"] == "succeeded" and done["payment_intent_id"] == problem["payment_intent_id"]
    assert len(cards.intents_of(order["id"])) == 1
    _one_payment(cards.stack, order["id"], done["payment_intent_id"], 5000)


def test_an_intent_of_another_order_is_refused(cards: Cards) -> None:
    customer = cards.stack.customer()
    first, second = cards.order(customer), cards.order(customer, quantity=1)
    pending = _json(cards.pay(customer, first["id"], payment_method_id=cards.card("4000002760003184")))
    problem = _json(cards.pay(customer, second["id"], payment_intent_id=pending["payment_intent_id"]), 409)
    assert problem["code"] == "payment_intent_other_order"
    stranger = cards.stack.customer()
    assert cards.pay(stranger, first["id"], payment_method_id="pm_card_visa").status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("payment_method_id", "pm_carte_\u00e9t\u00e9_\u2603", "invalid_payment_method_id"),
        ("payment_method_id", "card_visa", "invalid_payment_method_id"),
        ("payment_intent_id", "pi_\u2603", "invalid_payment_intent_id"),
    ],
)
def test_an_id_not_shaped_like_stripes_is_a_422_before_any_stripe_call(
    cards: Cards, field: str, value: str, code: str
) -> None:
    # given a pending order
    customer = cards.stack.customer()
    order = cards.order(customer)
    # when the customer sends an id with text no HTTP header can carry (it reached one: 503)
    problem = _json(cards.pay(customer, order["id"], **{field: value}), 422)
    # then it is refused by its shape, and nothing was created at Stripe
    assert problem["code"] == code
    assert cards.intents_of(order["id"]) == []


def test_a_double_click_makes_one_intent_and_one_payment(cards: Cards) -> None:
    customer = cards.stack.customer()
    order = cards.order(customer)
    # when the pay button is clicked four times at once (Stripe.js makes a PaymentMethod per click)
    methods = [cards.card(SUCCEEDS) for _ in range(4)]
    answers = race(
        [
            lambda pm=pm: httpx.post(  # type: ignore[misc]
                f"{cards.stack.shop_url}/api/orders/{order['id']}/pay",
                headers=customer.headers,
                json={"payment_method_id": pm},
                timeout=30,
            )
            for pm in methods
        ]
    )
    # then every click is told it succeeded, by one and the same intent, and the money was taken once
    bodies = [_json(answer) for answer in answers]
    assert {b["status"] for b in bodies} == {"succeeded"}
    intents = cards.intents_of(order["id"])
    assert len(intents) == 1 and {b["payment_intent_id"] for b in bodies} == {intents[0].id}
    assert intents[0].status == "succeeded" and intents[0].amount_received == 5000
    _one_payment(cards.stack, order["id"], intents[0].id, 5000)


def test_mixed_flow_race_keeps_at_most_one_payment(cards: Cards, buyer: Buyer) -> None:
    # given an order with an open Checkout Session in one tab
    customer = cards.stack.customer()
    order = cards.order(customer)
    session = cards.stack.start_checkout(customer, order["id"])
    card = cards.card(SUCCEEDS)

    def pay_the_session() -> Page:
        """The buyer's tab. /pay expires the session it races with, so the page may already say so
        when the tab opens it: a legitimate end of this race, with no form to post."""
        page = buyer.open(session["url"])
        if page.state() == "expired":
            return page
        return buyer.pay_card(session["url"], SUCCEEDS, token=page.token())

    # when the buyer pays the session and /pay at the same instant
    paid_page, pay_answer = race([pay_the_session, lambda: cards.pay(customer, order["id"], payment_method_id=card)])
    assert not isinstance(paid_page, Exception) and not isinstance(pay_answer, Exception)
    assert pay_answer.status_code in {200, 409}, pay_answer.text
    cards.stack.settle()
    cards.refund_duplicates()
    # then whatever was taken beyond the order's price was refunded and recorded: one payment kept
    state = cards.stack.order(order["id"])
    paid = sum(amount for kind, amount, _ in state.ledger if kind == "payment")
    refunded = sum(amount for kind, amount, _ in state.ledger if kind == "refund")
    assert paid - refunded == 5000, state.ledger
    assert (state.status, state.payment_status) == ("confirmed", "paid")
    taken = [i for i in cards.intents_of(order["id"]) if i.status == "succeeded"]
    assert 1 <= len(taken) <= 2 and len(state.entries("payment")) == len(taken)
    refunds = [r for i in taken for r in cards.stack.stripe.v1.refunds.list({"payment_intent": i.id}).data]
    assert sum(r.amount for r in refunds) == (len(taken) - 1) * 5000


def test_money_taken_twice_is_refunded_automatically_and_recorded(cards: Cards, buyer: Buyer) -> None:
    # given /pay waiting for 3-D Secure, and the customer paying a Checkout Session in another tab
    customer = cards.stack.customer()
    order = cards.order(customer)
    pending = _json(cards.pay(customer, order["id"], payment_method_id=cards.card("4000002760003184")))
    session = cards.stack.start_checkout(customer, order["id"])
    assert buyer.pay_card(session["url"], SUCCEEDS).status == 303
    cards.stack.settle()
    assert cards.stack.order(order["id"]).payment_status == "paid"
    # when the 3-D Secure challenge is then completed too: the card is charged a second time
    assert buyer.choose_3ds(cards.challenge_url(pending), "complete").status == 200
    done = _json(cards.pay(customer, order["id"], payment_intent_id=pending["payment_intent_id"]))
    cards.stack.settle()
    cards.refund_duplicates()
    cards.stack.settle()
    # then both payments are in the ledger, the second one refunded in full with our key, the order paid
    assert done["status"] == "succeeded"
    state = cards.stack.order(order["id"])
    session_intent = cards.stack.stripe.v1.checkout.sessions.retrieve(session["id"]).payment_intent
    refunds = cards.stack.stripe.v1.refunds.list({"payment_intent": pending["payment_intent_id"]}).data
    assert [(r.amount, r.status, r.reason) for r in refunds] == [(5000, "succeeded", "duplicate")]
    assert sorted(state.ledger) == sorted(
        [
            ("payment", 5000, session_intent),
            ("payment", 5000, pending["payment_intent_id"]),
            ("refund", 5000, refunds[0].id),
        ]
    )
    assert cards.stack.stripe.v1.refunds.list({"payment_intent": session_intent}).data == []
    assert (state.status, state.payment_status) == ("confirmed", "paid")


def test_pay_after_the_checkout_session_was_paid_stops(cards: Cards, buyer: Buyer) -> None:
    customer = cards.stack.customer()
    order = cards.order(customer)
    session = cards.stack.start_checkout(customer, order["id"])
    buyer.pay_card(session["url"], SUCCEEDS)
    problem = _json(cards.pay(customer, order["id"], payment_method_id="pm_card_visa"), 409)
    assert problem["code"] == "order_already_paid"
    # and /pay created no intent of its own: the only one is the session's
    session_intent = cards.stack.stripe.v1.checkout.sessions.retrieve(session["id"]).payment_intent
    assert [i.id for i in cards.intents_of(order["id"])] == [session_intent]


def test_pay_expires_the_open_checkout_session(cards: Cards, buyer: Buyer) -> None:
    customer = cards.stack.customer()
    order = cards.order(customer)
    session = cards.stack.start_checkout(customer, order["id"])
    done = _json(cards.pay(customer, order["id"], payment_method_id="pm_card_visa"))
    assert done["status"] == "succeeded"
    assert cards.stack.stripe.v1.checkout.sessions.retrieve(session["id"]).status == "expired"
    # and the session's page can no longer take money
    assert "This checkout session has expired" in buyer.open(session["url"]).html
    _one_payment(cards.stack, order["id"], done["payment_intent_id"], 5000)


# --- weighed goods ------------------------------------------------------------------------------


def _weighed_order(butcher: WeighingShop, kilos: str) -> tuple[Any, dict[str, Any]]:
    cards = butcher.cards
    customer = cards.stack.customer()
    answer = cards.http.post(
        "/api/orders",
        headers=customer.headers,
        json={
            "shop": cards.shop.slug,
            "lines": [{"product_id": cards.product.id, "quantity": kilos}],
            "payment_method": "online",
            "delivery_address": {"line1": "1 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"},
        },
    )
    return customer, _json(answer, 201)


def test_manual_capture_of_a_smaller_weighed_amount(butcher: WeighingShop) -> None:
    cards = butcher.cards
    # given 1.500 kg of beef at 32.90/kg (49.35) paid by card in a shop with a 10% margin
    customer, order = _weighed_order(butcher, "1.500")
    paid = _json(cards.pay(customer, order["id"], payment_method_id="pm_card_visa"))
    # then 54.29 is authorised, nothing captured, and the order is confirmed with payment processing
    intent = cards.stack.stripe.v1.payment_intents.retrieve(paid["payment_intent_id"])
    assert paid["status"] == "authorized"
    assert (intent.status, intent.amount, intent.amount_capturable) == ("requires_capture", 5429, 5429)
    assert (paid["order"]["status"], paid["order"]["payment_status"]) == ("confirmed", "processing")
    # when the merchant weighs 1.333 kg and marks the order ready
    line_id = order["lines"][0]["id"]
    ready = _json(
        cards.http.post(
            f"/api/merchant/orders/{order['id']}/ready",
            headers=butcher.merchant,
            json={"final_lines": [{"line_id": line_id, "quantity": "1.333"}]},
        )
    )
    # then 43.86 (half-up once) is captured and recorded, and the order is ready and paid that amount
    captured = cards.stack.stripe.v1.payment_intents.retrieve(paid["payment_intent_id"])
    assert (captured.status, captured.amount_received) == ("succeeded", 4386)
    cards.stack.settle()
    state = cards.stack.order(order["id"])
    assert state.entries("payment") == [("payment", 4386, paid["payment_intent_id"])]
    assert (state.status, state.payment_status) == ("ready", "paid")
    mine = _json(cards.http.get(f"/api/orders/{order['id']}", headers=customer.headers))
    assert mine["total"] == 4386 and mine["lines"][0]["quantity"] == "1.333"
    assert ready["status"] == "ready"
    with cards.stack.uows() as uow:
        receipt = next(m for m in uow.outbox.for_order(order["id"]) if m.topic == "receipt")
        assert "Total payé : 43,86\xa0€" in receipt.body  # the default language: the customer chose none


def test_capture_above_the_authorisation_is_refused(butcher: WeighingShop) -> None:
    cards = butcher.cards
    customer, order = _weighed_order(butcher, "1.500")
    paid = _json(cards.pay(customer, order["id"], payment_method_id="pm_card_visa"))
    # when the merchant weighs 1.700 kg: 55.93 > 54.29 authorised
    problem = _json(
        cards.http.post(
            f"/api/merchant/orders/{order['id']}/ready",
            headers=butcher.merchant,
            json={"final_lines": [{"line_id": order["lines"][0]["id"], "quantity": "1.700"}]},
        ),
        409,
    )
    # then it is refused, nothing is captured, and the order is neither ready nor changed
    assert problem["code"] == "capture_exceeds_authorisation"
    assert cards.stack.stripe.v1.payment_intents.retrieve(paid["payment_intent_id"]).status == "requires_capture"
    state = cards.stack.order(order["id"])
    assert (state.status, state.payment_status, state.ledger) == ("confirmed", "processing", ())


def test_weighed_goods_paid_on_checkout_are_held_then_the_weighed_amount_captured(
    butcher: WeighingShop, buyer: Buyer
) -> None:
    cards = butcher.cards
    # given 1.500 kg (49.35) paid on the hosted Checkout page of a shop with a 10% margin
    customer, order = _weighed_order(butcher, "1.500")
    session = cards.stack.start_checkout(customer, order["id"])
    assert buyer.pay_card(session["url"], SUCCEEDS).status == 303
    cards.stack.settle()
    # then the card is only held for 54.29 and the order is confirmed with payment processing
    intent_id = cards.stack.stripe.v1.checkout.sessions.retrieve(session["id"]).payment_intent
    held = cards.stack.stripe.v1.payment_intents.retrieve(intent_id)
    assert (held.status, held.amount_capturable, held.capture_method) == ("requires_capture", 5429, "manual")
    state = cards.stack.order(order["id"])
    assert (state.status, state.payment_status, state.ledger) == ("confirmed", "processing", ())
    # when the merchant weighs 1.250 kg (41.125 -> 41.13) and marks it ready
    _json(
        cards.http.post(
            f"/api/merchant/orders/{order['id']}/ready",
            headers=butcher.merchant,
            json={"final_lines": [{"line_id": order["lines"][0]["id"], "quantity": "1.25"}]},
        )
    )
    cards.stack.settle()
    # then 41.13 is captured and recorded once, whatever the webhooks said
    assert cards.stack.stripe.v1.payment_intents.retrieve(intent_id).amount_received == 4113
    state = cards.stack.order(order["id"])
    assert state.entries("payment") == [("payment", 4113, intent_id)]
    assert (state.status, state.payment_status) == ("ready", "paid")


def test_refusing_an_authorised_order_releases_the_hold(butcher: WeighingShop) -> None:
    cards = butcher.cards
    customer, order = _weighed_order(butcher, "1.500")
    paid = _json(cards.pay(customer, order["id"], payment_method_id="pm_card_visa"))
    refused = cards.http.post(
        f"/api/merchant/orders/{order['id']}/refuse", headers=butcher.merchant, json={"reason": "plus d'entrecôte"}
    )
    assert refused.status_code == 200, refused.text
    assert cards.stack.stripe.v1.payment_intents.retrieve(paid["payment_intent_id"]).status == "canceled"
    cards.stack.settle()
    state = cards.stack.order(order["id"])
    assert (state.status, state.payment_status, state.ledger) == ("cancelled", "unpaid", ())


def test_an_authorisation_canceled_in_the_dashboard_is_flagged_for_the_shop(butcher: WeighingShop) -> None:
    cards = butcher.cards
    # given a weighed order whose card was authorised
    customer, order = _weighed_order(butcher, "1.500")
    paid = _json(cards.pay(customer, order["id"], payment_method_id="pm_card_visa"))
    assert paid["status"] == "authorized"
    # when the authorisation is canceled on Stripe's side (the Dashboard; Stripe itself after 7 days)
    cards.stack.stripe.v1.payment_intents.cancel(paid["payment_intent_id"])
    cards.stack.settle()
    # then the shop sees an unpaid order flagged for a person, and weighing it cannot capture anything
    seen = _json(cards.http.get(f"/api/merchant/orders/{order['id']}", headers=butcher.merchant))
    assert (seen["status"], seen["payment_status"]) == ("confirmed", "unpaid")
    assert [review["code"] for review in seen["reviews"]] == ["authorisation_canceled"]
    line_id = order["lines"][0]["id"]
    ready = cards.http.post(
        f"/api/merchant/orders/{order['id']}/ready",
        headers=butcher.merchant,
        json={"final_lines": [{"line_id": line_id, "quantity": "1.333"}]},
    )
    assert ready.status_code == 409 and ready.json()["code"] == "nothing_to_capture"


def test_an_authorisation_stripe_lets_expire_after_seven_days_is_flagged_for_the_shop(butcher: WeighingShop) -> None:
    cards = butcher.cards
    # given a weighed order authorised, and nobody weighing it for a week
    customer, order = _weighed_order(butcher, "1.500")
    paid = _json(cards.pay(customer, order["id"], payment_method_id="pm_card_visa"))
    assert paid["status"] == "authorized"
    # when seven days pass (the sandbox cancels the uncaptured authorisation, as Stripe does)
    cards.stack.advance(7 * 24 * 60 * 60)
    cards.stack.settle()
    # then the shop sees the order unpaid and flagged
    assert cards.stack.stripe.v1.payment_intents.retrieve(paid["payment_intent_id"]).status == "canceled"
    seen = _json(cards.http.get(f"/api/merchant/orders/{order['id']}", headers=butcher.merchant))
    assert (seen["status"], seen["payment_status"]) == ("confirmed", "unpaid")
    assert [review["code"] for review in seen["reviews"]] == ["authorisation_canceled"]
