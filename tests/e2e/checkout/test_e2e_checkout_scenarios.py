"""Paying an order on the hosted Checkout page, end to end, on SQLite and PostgreSQL.

Each scenario runs twice: with tidy webhook delivery ("exact") and with the sandbox delivering
every event twice, shuffled, delayed and 10% dropped ("faulty"; the reconciler then repairs
what was lost). Both must end in the same place, checked by ``assert_books_balance``.

The buyer is an HTTP client posting the sandbox's forms; the shop talks to the sandbox through
the official SDK; webhooks travel over real sockets, signed.
"""

from __future__ import annotations

from comptoir.services.messages import outbox
from tests.e2e.checkout.stack import EXPIRY_WAIT, SEPA_SETTLE_WAIT, Stack, assert_books_balance
from tests.servers import Buyer

SUCCEEDS = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
NEEDS_3DS = "4000 0025 0000 3155"
IBAN_SETTLES = "DE89 3704 0044 0532 0130 00"
IBAN_FAILS = "DE62 3704 0044 0532 0130 01"
STOCK = 5
PRICE = 2500


def _success_url(stack: Stack, session_id: str) -> str:
    return f"{stack.shop_url}/checkout/success?session_id={session_id}"


def _order_for(stack: Stack, quantity: int = 2):
    shop, product = stack.shop(stock=STOCK, unit_price=PRICE)
    customer = stack.customer()
    order = stack.place_order(customer, shop, product, quantity)
    return customer, product, order


def test_card_payment_confirms_the_order_once_and_queues_receipt_and_alert(stack: Stack, buyer: Buyer) -> None:
    # given a pending order for 2 x 25.00 EUR and its Checkout Session
    customer, product, order = _order_for(stack)
    session = stack.start_checkout(customer, order["id"])
    assert session["id"].startswith("cs_") and session["url"].startswith(stack.running.url)
    # when the buyer pays on the hosted page with 4242
    paid = buyer.pay_card(session["url"], SUCCEEDS)
    # then they are sent to the shop's success page, which says paid and stops refreshing
    assert paid.status == 303 and paid.location == _success_url(stack, session["id"])
    landing = buyer.follow(paid)
    assert landing.status == 200 and landing.payment_status() == "paid"
    assert not landing.refreshes()
    stack.settle()
    # and the order is confirmed and paid once, with a receipt and a merchant alert queued
    state = stack.order(order["id"])
    assert (state.status, state.payment_status) == ("confirmed", "paid")
    intent = stack.stripe.v1.checkout.sessions.retrieve(session["id"]).payment_intent
    assert state.entries("payment") == [("payment", 5000, intent)]
    assert sorted(state.outbox) == ["merchant_alert", "receipt"]
    assert stack.stock_accounted(product) == ((STOCK - 2) * 1000, 2000)
    _assert_heard(stack, "checkout.session.completed", "payment_intent.succeeded")
    assert_books_balance(stack, {product.id: STOCK})
    # and the worker's outbox run sends the receipt to the customer
    outbox.dispatch_due(stack.uows(), stack.mailer, now=stack.now())
    receipts = [mail for mail in stack.mailer.sent if mail["to"] == customer.actor.email]
    assert len(receipts) == 1 and order["number"] in receipts[0]["subject"]


def test_a_declined_card_shows_the_message_and_the_cancel_page_leads_back_to_pay_the_same_session(
    stack: Stack, buyer: Buyer
) -> None:
    # given an order and its session
    customer, product, order = _order_for(stack)
    session = stack.start_checkout(customer, order["id"])
    # when the buyer first tries the generic-decline card
    declined = buyer.pay_card(session["url"], DECLINED)
    # then the hosted page says so, and the order is still waiting for its money
    assert declined.status == 200 and declined.alert() == "Your card was declined."
    stack.settle()
    state = stack.order(order["id"])
    assert (state.status, state.payment_status, state.ledger) == ("pending", "unpaid", ())
    # when they leave with "Back" and land on the shop's cancel page
    cancel_url = f"{stack.shop_url}/checkout/cancel?order_id={order['id']}"
    assert f'href="{cancel_url}"' in declined.html
    page = buyer.open(cancel_url)
    # then it says nothing was charged and links back to the same open session
    assert page.status == 200 and "You have not paid yet" in page.html
    assert page.resume_url() == session["url"]
    assert stack.start_checkout(customer, order["id"])["id"] == session["id"]
    # when they pay that session with 4242
    paid = buyer.pay_card(page.resume_url() or "", SUCCEEDS)
    assert paid.location == _success_url(stack, session["id"])
    assert buyer.follow(paid).payment_status() == "paid"
    stack.settle()
    # then the order is paid exactly once
    state = stack.order(order["id"])
    assert (state.status, state.payment_status) == ("confirmed", "paid")
    assert len(state.entries("payment")) == 1
    assert_books_balance(stack, {product.id: STOCK})


def test_3ds_completed_pays_and_the_success_page_refreshes_until_then(stack: Stack, buyer: Buyer) -> None:
    # given an order paid with a card that always asks for 3-D Secure
    customer, product, order = _order_for(stack)
    session = stack.start_checkout(customer, order["id"])
    challenge = buyer.pay_card(session["url"], NEEDS_3DS)
    assert challenge.status == 303 and "/3ds/pi_" in challenge.location
    # when the success page is opened before the challenge is done
    waiting = buyer.open(_success_url(stack, session["id"]))
    # then it shows unpaid and refreshes itself
    assert waiting.status == 200 and waiting.payment_status() == "unpaid"
    assert waiting.refreshes()
    # when the buyer completes the challenge
    back = buyer.choose_3ds(challenge.location, "complete")
    landing = buyer.follow(back)
    # then they land on the shop's success page, paid, no longer refreshing
    assert landing.response.url == _success_url(stack, session["id"])
    assert landing.payment_status() == "paid" and not landing.refreshes()
    stack.settle()
    state = stack.order(order["id"])
    assert (state.status, state.payment_status) == ("confirmed", "paid")
    assert_books_balance(stack, {product.id: STOCK})


def test_3ds_failed_leaves_the_order_payable_then_another_card_pays(stack: Stack, buyer: Buyer) -> None:
    # given a 3-D Secure challenge the buyer fails
    customer, product, order = _order_for(stack)
    session = stack.start_checkout(customer, order["id"])
    challenge = buyer.pay_card(session["url"], NEEDS_3DS)
    back = buyer.follow(buyer.choose_3ds(challenge.location, "fail"))
    # then the hosted page says authentication failed, and the order is unpaid and payable
    assert "failed authentication" in (back.alert() or "")
    stack.settle()
    state = stack.order(order["id"])
    assert (state.status, state.payment_status, state.ledger) == ("pending", "unpaid", ())
    assert stack.start_checkout(customer, order["id"])["id"] == session["id"]
    # when another card pays
    paid = buyer.pay_card(session["url"], SUCCEEDS)
    assert buyer.follow(paid).payment_status() == "paid"
    stack.settle()
    # then it is paid once
    state = stack.order(order["id"])
    assert (state.status, state.payment_status) == ("confirmed", "paid")
    assert_books_balance(stack, {product.id: STOCK})


def test_sepa_debit_is_processing_then_paid_when_the_bank_settles(stack: Stack, buyer: Buyer) -> None:
    # given an order paid by SEPA Direct Debit on the hosted page
    customer, product, order = _order_for(stack)
    session = stack.start_checkout(customer, order["id"])
    paid = buyer.pay_sepa(session["url"], IBAN_SETTLES)
    # then the success page says processing and keeps refreshing, and nothing is booked yet
    landing = buyer.follow(paid)
    assert landing.payment_status() == "processing" and landing.refreshes()
    stack.settle()
    state = stack.order(order["id"])
    assert (state.status, state.payment_status, state.ledger) == ("pending", "processing", ())
    # and a second payment cannot be started meanwhile
    assert stack.checkout_session(customer, order["id"]).json()["code"] == "payment_processing"
    # when the debit settles at the bank
    stack.advance(SEPA_SETTLE_WAIT)
    stack.settle()
    # then the order is confirmed and paid once, and the success page stops refreshing
    state = stack.wait_order(order["id"], "the order to be paid", lambda s: s.payment_status == "paid")
    assert state.status == "confirmed" and len(state.entries("payment")) == 1
    final = buyer.open(_success_url(stack, session["id"]))
    assert final.payment_status() == "paid" and not final.refreshes()
    assert_books_balance(stack, {product.id: STOCK})


def test_sepa_debit_refused_by_the_bank_marks_failed_tells_the_customer_and_stays_payable(
    stack: Stack, buyer: Buyer
) -> None:
    # given an order paid with an IBAN whose debit will fail
    customer, product, order = _order_for(stack)
    session = stack.start_checkout(customer, order["id"])
    assert buyer.follow(buyer.pay_sepa(session["url"], IBAN_FAILS)).payment_status() == "processing"
    # when the bank refuses the debit
    stack.advance(SEPA_SETTLE_WAIT)
    stack.settle()
    # then the payment is failed, the order still holds its stock, and the customer is told once
    state = stack.wait_order(order["id"], "the payment to fail", lambda s: s.payment_status == "failed")
    assert state.status == "pending" and state.ledger == ()
    failed = [m for m in stack.messages(order["id"]) if m[0] == "payment_failed"]
    assert (
        len(failed) == 1 and failed[0][1] == customer.actor.email and "a échoué" in failed[0][2]
    )  # French: the default language
    assert buyer.open(_success_url(stack, session["id"])).payment_status() == "failed"
    # when the customer pays again by card, on a new session
    again = stack.start_checkout(customer, order["id"])
    assert again["id"] != session["id"]
    assert buyer.follow(buyer.pay_card(again["url"], SUCCEEDS)).payment_status() == "paid"
    stack.settle()
    # then it is paid once
    state = stack.order(order["id"])
    assert (state.status, state.payment_status) == ("confirmed", "paid")
    assert_books_balance(stack, {product.id: STOCK})


def test_an_expired_session_cancels_the_order_and_puts_the_stock_back(stack: Stack, buyer: Buyer) -> None:
    # given an unpaid order holding 2 of 5 and its open session
    customer, product, order = _order_for(stack)
    session = stack.start_checkout(customer, order["id"])
    assert stack.stock_accounted(product) == (3000, 2000)
    # when the session's expires_at (and the order's hold) pass
    stack.advance(EXPIRY_WAIT)
    stack.settle()
    # then the order is cancelled and its stock is back on the shelf
    state = stack.wait_order(order["id"], "the order to be cancelled", lambda s: s.status == "cancelled")
    assert state.payment_status == "unpaid" and state.ledger == ()
    assert stack.stock_accounted(product) == (STOCK * 1000, 0)
    assert stack.stripe.v1.checkout.sessions.retrieve(session["id"]).status == "expired"
    _assert_heard(stack, "checkout.session.expired")
    # and the cancel page says so, offering no way to pay
    page = buyer.open(f"{stack.shop_url}/checkout/cancel?order_id={order['id']}")
    assert "is cancelled" in page.html and page.resume_url() is None
    assert stack.checkout_session(customer, order["id"]).json()["code"] == "order_cancelled"
    assert_books_balance(stack, {product.id: STOCK})


def test_refunds_made_directly_on_the_provider_flow_back_into_the_ledger(stack: Stack, buyer: Buyer) -> None:
    # given a paid order of 50.00 EUR
    customer, product, order = _order_for(stack)
    session = stack.start_checkout(customer, order["id"])
    buyer.follow(buyer.pay_card(session["url"], SUCCEEDS))
    stack.settle()
    intent = stack.stripe.v1.checkout.sessions.retrieve(session["id"]).payment_intent
    # when someone refunds 10.00 in the provider's dashboard (the SDK, straight to the sandbox)
    first = stack.stripe.v1.refunds.create({"payment_intent": intent, "amount": 1000})
    stack.settle()
    # then the order is partially refunded, the refund booked once under its id
    partial = _refund_state(stack, order["id"], {first.id})
    # when the remaining 40.00 is refunded too
    rest = stack.stripe.v1.refunds.create({"payment_intent": intent})
    stack.settle()
    # then the order is refunded, the payment itself still booked once
    final = _refund_state(stack, order["id"], {first.id, rest.id})
    assert partial.payment_status == "partially_refunded"
    assert partial.entries("refund") == [("refund", 1000, first.id)]
    assert final.payment_status == "refunded"
    assert sorted(final.entries("refund")) == sorted([("refund", 1000, first.id), ("refund", 4000, rest.id)])
    assert_books_balance(stack, {product.id: STOCK})


def _refund_state(stack: Stack, order_id: str, refund_ids: set[str]):
    """The order once its refunds landed: by webhook, or, when fault injection dropped their
    events, by the reconciler that re-reads Stripe's recent refunds."""
    state = stack.order(order_id)
    booked = {entry[2] for entry in state.entries("refund")}
    assert len(booked) == len(state.entries("refund"))
    assert booked == refund_ids, (booked, refund_ids)
    return state


def _assert_heard(stack: Stack, *event_types: str) -> None:
    """With tidy delivery, the shop recorded and processed each of these events exactly as sent
    (under faults one may have been dropped, and the reconciler did its work instead)."""
    if stack.faulty:
        return
    recorded = stack.recorded_events()
    for event_type in event_types:
        (event,) = stack.events(event_type)
        assert recorded.get(event["id"]) == "processed", (event_type, recorded.get(event["id"]))
