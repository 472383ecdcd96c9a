"""Cards confirmed on the server (`/pay`), duplicate refunds and weighed-goods capture, on SQLite and
PostgreSQL with the fake gateway (the same flows run against the real sandbox in tests/e2e/cards)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from comptoir.adapters.db.uow import SqlUnitOfWorkFactory
from comptoir.domain.actors import SYSTEM_WEBHOOK, Role
from comptoir.domain.catalog import Unit
from comptoir.domain.errors import Conflict, NotFound, PaymentRequired
from comptoir.records.payments import LedgerEntry, OrderReview, OutboxMessage, PaymentAttempt
from comptoir.services import reconciliation
from comptoir.services.merchant import feed, refunds
from comptoir.services.orders import ordering
from comptoir.services.payments import capture, cards, checkout, duplicates, fulfilment, webhooks
from comptoir.services.payments.checkout import CheckoutUrls
from comptoir.services.views import ProductView
from tests.factories import NOW, add_product, add_shop, add_user, order_of, stock_of
from tests.fakes import FakeGateway, event, intent_dict, session_dict
from tests.support import count, order_row

URLS = CheckoutUrls("http://shop/checkout/success?session_id={CHECKOUT_SESSION_ID}", "http://shop/checkout/cancel")


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def setup(uows: SqlUnitOfWorkFactory):
    shop = add_shop(uows)
    product = add_product(uows, shop, unit_price=25000, stock=5)
    customer = add_user(uows)
    return shop, product, customer


def _order(uows, setup, quantity=2):
    shop, product, customer = setup
    return ordering.place_order(uows(), customer, order_of(shop, (product, quantity)), NOW), customer


def _pay(uows, gateway, customer, order_id, **body):
    return cards.pay_order(uows(), gateway, customer, order_id, now=NOW, **body)


def _ledger(uows, order_id) -> list[tuple[str, int, str]]:
    with uows() as uow:
        return [(e.kind, e.amount, e.external_id) for e in uow.payments.ledger(order_id)]


def test_a_good_card_pays_the_order_once_with_our_key(uows, gateway, setup) -> None:
    # given a pending online order of 500.00
    order, customer = _order(uows, setup)
    # when the customer pays with a good card
    result = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_visa")
    # then one intent was created for the server's amount under our key, and the order is paid once
    assert result.status == "succeeded"
    assert result.order.payment_status == "paid" and result.order.status == "confirmed"
    assert gateway.intent_requests[f"order:{order.id}:intent:1"].amount == order.total == 50000
    assert ("confirm_payment_intent", f"order:{order.id}:intent:1:confirm:pm_card_visa") in gateway.calls
    assert _ledger(uows, order.id) == [("payment", 50000, result.payment_intent_id)]
    assert count(uows, OutboxMessage, order_id=order.id, topic="receipt") == 1


def test_a_declined_card_answers_402_and_the_next_card_pays_the_same_intent(uows, gateway, setup) -> None:
    order, customer = _order(uows, setup)
    # when the first card is declined for insufficient funds
    with pytest.raises(PaymentRequired) as declined:
        _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_visa_chargeDeclinedInsufficientFunds")
    # then the 402 carries Stripe's code, decline code and message, and the order shows the failure
    assert declined.value.code == "card_declined"
    assert declined.value.extra["decline_code"] == "insufficient_funds"
    assert declined.value.extra["message"] == "Your card has insufficient funds."
    assert order_row(uows, order.id) == ("pending", "failed")
    # when a good card follows
    result = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_visa")
    # then the SAME intent is paid: one intent for the order, one payment
    assert result.status == "succeeded"
    assert [i.id for i in gateway.intents_for(order.id)] == [declined.value.extra["payment_intent_id"]]
    assert result.payment_intent_id == declined.value.extra["payment_intent_id"]
    assert len(_ledger(uows, order.id)) == 1


def test_three_d_secure_then_finishing_with_the_intent_id(uows, gateway, setup) -> None:
    order, customer = _order(uows, setup)
    # when the card needs 3-D Secure
    first = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_threeDSecure2Required")
    # then the browser gets the client secret and nothing is paid yet
    assert first.status == "requires_action" and first.client_secret
    assert _ledger(uows, order.id) == []
    # when the buyer authenticates and the browser posts the intent id
    assert first.payment_intent_id is not None
    gateway.complete_3ds(first.payment_intent_id)
    done = _pay(uows, gateway, customer, order.id, payment_intent_id=first.payment_intent_id)
    # then the order is paid by that intent
    assert done.status == "succeeded" and done.order.payment_status == "paid"
    assert _ledger(uows, order.id) == [("payment", 50000, first.payment_intent_id)]


def test_failed_authentication_is_a_402_and_a_new_card_pays_the_same_intent(uows, gateway, setup) -> None:
    order, customer = _order(uows, setup)
    first = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_threeDSecure2Required")
    assert first.payment_intent_id is not None
    gateway.fail_3ds(first.payment_intent_id)
    with pytest.raises(PaymentRequired) as failed:
        _pay(uows, gateway, customer, order.id, payment_intent_id=first.payment_intent_id)
    assert failed.value.code == "payment_intent_authentication_failure"
    result = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_visa")
    assert result.status == "succeeded" and result.payment_intent_id == first.payment_intent_id


def test_the_same_card_can_try_3ds_again_after_failing_it(uows, gateway, setup) -> None:
    order, customer = _order(uows, setup)
    first = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_threeDSecure2Required")
    assert first.payment_intent_id is not None
    gateway.fail_3ds(first.payment_intent_id)
    with pytest.raises(PaymentRequired):
        _pay(uows, gateway, customer, order.id, payment_intent_id=first.payment_intent_id)
    # when the buyer tries the same card again, then it is a fresh confirmation (a new challenge), not a replay
    again = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_threeDSecure2Required")
    assert again.status == "requires_action" and again.payment_intent_id == first.payment_intent_id
    assert gateway.retrieve_payment_intent(first.payment_intent_id).status == "requires_action"
    gateway.complete_3ds(first.payment_intent_id)
    done = _pay(uows, gateway, customer, order.id, payment_intent_id=first.payment_intent_id)
    assert done.status == "succeeded" and len(gateway.intents_for(order.id)) == 1


def test_an_intent_of_another_order_is_refused(uows, gateway, setup) -> None:
    # given two orders of the same customer, the first one waiting for 3-D Secure
    first, customer = _order(uows, setup)
    second, _ = _order(uows, setup, quantity=1)
    pending = _pay(uows, gateway, customer, first.id, payment_method_id="pm_card_threeDSecure2Required")
    assert pending.payment_intent_id is not None
    # when the browser finishes the second order with the first order's intent
    with pytest.raises(Conflict) as refused:
        _pay(uows, gateway, customer, second.id, payment_intent_id=pending.payment_intent_id)
    # then it is refused with a clear code and nothing is recorded
    assert refused.value.code == "payment_intent_other_order"
    assert _ledger(uows, second.id) == []


def test_someone_elses_order_is_not_found(uows, gateway, setup) -> None:
    order, _ = _order(uows, setup)
    stranger = add_user(uows)
    with pytest.raises(NotFound):
        _pay(uows, gateway, stranger, order.id, payment_method_id="pm_card_visa")
    assert gateway.intents_for(order.id) == []


def test_a_double_click_converges_on_one_intent_and_one_payment(uows, gateway, setup) -> None:
    order, customer = _order(uows, setup)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def click(card: str) -> None:
        barrier.wait()
        try:
            outcomes.append(_pay(uows, gateway, customer, order.id, payment_method_id=card).status)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    # when four clicks race, two per card (Stripe.js makes a PaymentMethod per submission)
    threads = [threading.Thread(target=click, args=(card,)) for card in ["pm_card_visa", "pm_card_mastercard"] * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then every click answers success, with one intent and one payment
    assert errors == [] and outcomes == ["succeeded"] * 4
    assert len(gateway.intents_for(order.id)) == 1
    assert len(_ledger(uows, order.id)) == 1
    assert count(uows, PaymentAttempt, order_id=order.id) == 1


def test_the_webhook_and_the_synchronous_answer_converge(uows, gateway, setup) -> None:
    order, customer = _order(uows, setup)
    result = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_visa")
    assert result.payment_intent_id is not None
    intent = gateway.retrieve_payment_intent(result.payment_intent_id)
    # when payment_intent.succeeded arrives after the answer, and a stale payment_failed after that
    succeeded = webhooks.ingest(uows(), gateway, event("payment_intent.succeeded", intent_dict(intent)), now=NOW)
    failed = webhooks.ingest(uows(), gateway, event("payment_intent.payment_failed", intent_dict(intent)), now=NOW)
    # then neither changes anything
    assert (succeeded.outcome, failed.outcome) == ("unchanged", "unchanged")
    assert _ledger(uows, order.id) == [("payment", 50000, intent.id)]
    assert order_row(uows, order.id) == ("confirmed", "paid")


def test_the_webhook_first_then_the_browser_finishing_records_once(uows, gateway, setup) -> None:
    order, customer = _order(uows, setup)
    pending = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_threeDSecure2Required")
    assert pending.payment_intent_id is not None
    intent = gateway.complete_3ds(pending.payment_intent_id)
    # when the webhook lands before the browser comes back
    first = webhooks.ingest(uows(), gateway, event("payment_intent.succeeded", intent_dict(intent)), now=NOW)
    done = _pay(uows, gateway, customer, order.id, payment_intent_id=intent.id)
    # then the webhook recorded it and the browser's call is answered from it
    assert first.outcome == "paid" and done.status == "succeeded"
    assert _ledger(uows, order.id) == [("payment", 50000, intent.id)]


def test_pay_closes_the_open_checkout_session_first(uows, gateway, setup) -> None:
    order, customer = _order(uows, setup)
    link = checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW)
    result = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_visa")
    assert result.status == "succeeded"
    assert gateway.sessions[link.id].status == "expired"
    assert order_row(uows, order.id) == ("confirmed", "paid")


def test_pay_stops_when_the_checkout_session_was_already_paid(uows, gateway, setup) -> None:
    order, customer = _order(uows, setup)
    link = checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW)
    gateway.pay(link.id)  # paid in another tab; the webhook has not arrived yet
    with pytest.raises(Conflict) as stopped:
        _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_visa")
    assert stopped.value.code == "order_already_paid"
    assert [call for call in gateway.calls if call[0] == "create_payment_intent"] == []
    assert len(_ledger(uows, order.id)) == 1


def test_money_taken_twice_is_recorded_and_the_extra_refunded_once(uows, gateway, setup) -> None:
    # given an order paid by /pay, and a checkout session for it paid too (opened while 3DS was pending)
    order, customer = _order(uows, setup)
    pending = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_threeDSecure2Required")
    link = checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW)
    assert pending.payment_intent_id is not None
    gateway.complete_3ds(pending.payment_intent_id)
    _pay(uows, gateway, customer, order.id, payment_intent_id=pending.payment_intent_id)
    session = gateway.pay(link.id)
    # when the session's webhook arrives, then the worker's duplicate job runs twice
    outcome = webhooks.ingest(uows(), gateway, event("checkout.session.completed", session_dict(session)), now=NOW)
    first = duplicates.refund_duplicates(uows(), gateway, now=NOW)
    again = duplicates.refund_duplicates(uows(), gateway, now=NOW)
    # then both payments are in the ledger, the extra one refunded once with our key, and the order paid
    assert outcome.outcome == "duplicate"
    assert [r.payment_intent_id for r in first] == [session.payment_intent_id] and again == []
    assert session.payment_intent_id is not None
    refund = gateway.refund_keys[duplicates.refund_key(session.payment_intent_id)]
    assert sorted(_ledger(uows, order.id)) == sorted(
        [
            ("payment", 50000, pending.payment_intent_id),
            ("payment", 50000, session.payment_intent_id),
            ("refund", 50000, refund.id),
        ]
    )
    assert order_row(uows, order.id) == ("confirmed", "paid")
    assert count(uows, OrderReview, order_id=order.id, code="duplicate_payment") == 1
    assert len([c for c in gateway.calls if c[0] == "create_refund"]) == 1


def test_pay_duplicate_found_synchronously_is_refunded_before_answering(uows, gateway, setup) -> None:
    order, customer = _order(uows, setup)
    pending = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_threeDSecure2Required")
    link = checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW)
    session = gateway.pay(link.id)
    fulfilment.fulfil_checkout(uows(), session, actor=SYSTEM_WEBHOOK, now=NOW)
    assert pending.payment_intent_id is not None
    gateway.complete_3ds(pending.payment_intent_id)
    result = _pay(uows, gateway, customer, order.id, payment_intent_id=pending.payment_intent_id)
    assert result.status == "succeeded" and result.order.payment_status == "paid"
    kinds = sorted(kind for kind, _, _ in _ledger(uows, order.id))
    assert kinds == ["payment", "payment", "refund"]
    assert gateway.refunds[pending.payment_intent_id][0].amount == 50000


# --- weighed goods ---------------------------------------------------------------------------


def butcher_product(uows, order):
    with uows() as uow:
        product = uow.products.get(order.lines[0].product_id)
        return ProductView.of(product, "EUR")


@pytest.fixture
def butcher(uows: SqlUnitOfWorkFactory):
    shop = add_shop(uows, capture_manually=True, capture_margin_percent=10)
    beef = add_product(uows, shop, name="Entrecôte", unit=Unit.KG, unit_price=3290, stock=20)
    customer = add_user(uows)
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop])
    order = ordering.place_order(uows(), customer, order_of(shop, (beef, "1.500")), NOW)
    return order, customer, merchant


def test_a_weighed_order_is_authorised_with_the_margin_and_confirmed_processing(uows, gateway, butcher) -> None:
    order, customer, _ = butcher
    # when the customer pays 1.5 kg at 32.90/kg (49.35) in a shop with a 10% margin
    result = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_visa")
    # then 49.35 + 4.94 (half-up) is authorised, nothing is captured, the order is confirmed, processing
    assert result.status == "authorized"
    intent = gateway.retrieve_payment_intent(result.payment_intent_id or "")
    assert (order.total, intent.amount, intent.capture_method) == (4935, 5429, "manual")
    assert (result.order.status, result.order.payment_status) == ("confirmed", "processing")
    assert _ledger(uows, order.id) == []
    assert count(uows, PaymentAttempt, order_id=order.id, state="authorized") == 1


def test_the_counter_hears_of_a_weighed_order_when_its_card_is_authorised_and_again_when_it_is_captured(
    uows, gateway, butcher
) -> None:
    # given the shop's counter screen listening (its feed opened before anything happens)
    order, customer, merchant = butcher
    cursor = feed.open_cursor(uows(), merchant, last_event_id=None)
    # when the customer's card is authorised for the weighed order
    _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_visa")
    # then the counter is told of a new order (its board shows it and rings), though nothing is paid yet
    assert [(e.type, e.order_id) for e in feed.read_events(uows(), merchant, cursor)] == [
        ("order.authorised", order.id)
    ]
    # and when the merchant captures the weighed amount, the counter hears that it is paid
    capture.capture_weighed(
        uows(), gateway, merchant, order.id, [{"line_id": order.lines[0].id, "quantity": "1.4"}], NOW
    )
    assert [e.type for e in feed.read_events(uows(), merchant, cursor)] == ["order.paid"]


def test_the_merchant_captures_a_smaller_weighed_amount(uows, gateway, butcher) -> None:
    order, customer, merchant = butcher
    result = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_visa")
    # when the merchant weighs 1.333 kg (32.90 x 1.333 = 43.8557 -> 43.86)
    captured = capture.capture_weighed(
        uows(), gateway, merchant, order.id, [{"line_id": order.lines[0].id, "quantity": "1.333"}], NOW
    )
    # then 43.86 is captured and recorded, the order's line and total are the weighed ones, and it is paid
    assert (captured.outcome, captured.amount, captured.authorised) == ("captured", 4386, 5429)
    assert stock_of(uows, butcher_product(uows, order)) == Decimal("18.667")  # 20 - 1.333: the rest went back
    assert gateway.retrieve_payment_intent(result.payment_intent_id or "").amount_received == 4386
    assert _ledger(uows, order.id) == [("payment", 4386, result.payment_intent_id)]
    assert order_row(uows, order.id, "status", "payment_status", "total") == ("confirmed", "paid", 4386)
    with uows() as uow:
        line = uow.orders.get(order.id).lines[0]
        assert (line.quantity_milli, line.line_total) == (1333, 4386)
        receipt = next(m for m in uow.outbox.for_order(order.id) if m.topic == "receipt")
        assert "43,86\xa0€" in receipt.body and "1,333\u202fkg" in receipt.body
    # and capturing again (a retried request) changes nothing
    again = capture.capture_weighed(
        uows(), gateway, merchant, order.id, [{"line_id": order.lines[0].id, "quantity": Decimal("1.333")}], NOW
    )
    assert again.outcome == "unchanged" and len(_ledger(uows, order.id)) == 1


def test_capture_above_the_authorisation_is_refused(uows, gateway, butcher) -> None:
    order, customer, merchant = butcher
    result = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_visa")
    # when the merchant weighs 1.700 kg (55.93 > 54.29 authorised)
    with pytest.raises(Conflict) as refused:
        capture.capture_weighed(
            uows(), gateway, merchant, order.id, [{"line_id": order.lines[0].id, "quantity": "1.7"}], NOW
        )
    # then nothing is captured and the order is unchanged
    assert refused.value.code == "capture_exceeds_authorisation"
    assert gateway.retrieve_payment_intent(result.payment_intent_id or "").status == "requires_capture"
    assert order_row(uows, order.id, "status", "payment_status", "total") == ("confirmed", "processing", 4935)


def test_a_merchant_of_another_shop_cannot_capture(uows, gateway, butcher) -> None:
    order, customer, _ = butcher
    _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_visa")
    other = add_user(uows, role=Role.MERCHANT, shops=[add_shop(uows)])
    with pytest.raises(NotFound):
        capture.capture_weighed(uows(), gateway, other, order.id, [], NOW)
    assert count(uows, LedgerEntry, order_id=order.id) == 0


def test_a_weighed_order_paid_on_checkout_is_held_then_captured(uows, gateway, butcher) -> None:
    order, customer, merchant = butcher
    # when the customer pays on the hosted Checkout page of a shop that weighs its goods
    link = checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW)
    request = gateway.requests[f"order:{order.id}:checkout:1"]
    session = gateway.pay(link.id)
    outcome = webhooks.ingest(uows(), gateway, event("checkout.session.completed", session_dict(session)), now=NOW)
    # then the session only held total + margin (its own line), and the order is confirmed, processing
    assert request.capture_manually and request.metadata["capture"] == "manual"
    assert [line.unit_amount for line in request.lines] == [4935, 494]
    assert outcome.outcome == "processing" and _ledger(uows, order.id) == []
    assert order_row(uows, order.id, "status", "payment_status", "total") == ("confirmed", "processing", 4935)
    # when the merchant weighs 1.250 kg (41.125 -> 41.13) and the capture's webhook arrives too
    captured = capture.capture_weighed(
        uows(), gateway, merchant, order.id, [{"line_id": order.lines[0].id, "quantity": "1.250"}], NOW
    )
    assert session.payment_intent_id is not None
    intent = gateway.retrieve_payment_intent(session.payment_intent_id)
    late = webhooks.ingest(uows(), gateway, event("payment_intent.succeeded", intent_dict(intent)), now=NOW)
    # then 41.13 is captured on the session's PaymentIntent and recorded once
    assert (captured.amount, intent.amount_received, late.outcome) == (4113, 4113, "unchanged")
    assert _ledger(uows, order.id) == [("payment", 4113, session.payment_intent_id)]
    assert order_row(uows, order.id, "status", "payment_status", "total") == ("confirmed", "paid", 4113)


def _alerts(uows, order_id) -> list[str]:
    with uows() as uow:
        return [m.subject for m in uow.outbox.for_order(order_id) if m.topic == "merchant_alert"]


def _open_reviews(uows, order_id) -> list[str]:
    with uows() as uow:
        return [r.code for r in uow.payments.open_reviews(order_id)]


def _canceled_at_stripe(uows, gateway, intent_id: str, event_id: str):
    """The authorisation is canceled outside comptoir (the Dashboard, or Stripe after 7 days), and its event arrives."""
    intent = gateway.cancel_payment_intent(intent_id, idempotency_key=f"dashboard:{intent_id}")
    return webhooks.ingest(
        uows(), gateway, event("payment_intent.canceled", intent_dict(intent), event_id=event_id), now=NOW
    )


def test_an_authorisation_canceled_at_stripe_is_closed_flagged_and_told_to_the_shop(uows, gateway, butcher) -> None:
    # given a weighed order whose card was authorised through /pay
    order, customer, _ = butcher
    paid = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_visa")
    assert paid.payment_intent_id is not None
    # when the authorisation is canceled at Stripe
    result = _canceled_at_stripe(uows, gateway, paid.payment_intent_id, "evt_canceled")
    # then the attempt is closed, nothing is owed as paid, a person is asked to look, the shop is told
    assert (result.status, result.outcome) == ("processed", "canceled")
    assert count(uows, PaymentAttempt, order_id=order.id, state="canceled") == 1
    assert order_row(uows, order.id, "status", "payment_status", "total") == ("confirmed", "unpaid", 4935)
    assert _open_reviews(uows, order.id) == ["authorisation_canceled"]
    assert [s for s in _alerts(uows, order.id) if s.startswith("Autorisation de carte annulée")] != []
    # and a second delivery of that fact changes nothing
    again = webhooks.ingest(
        uows(), gateway, event("payment_intent.canceled", intent_dict(gateway.intents[paid.payment_intent_id])), now=NOW
    )
    assert again.outcome == "unchanged"
    assert _open_reviews(uows, order.id) == ["authorisation_canceled"]
    assert sum(s.startswith("Autorisation de carte annulée") for s in _alerts(uows, order.id)) == 1


def test_a_checkout_authorisation_canceled_at_stripe_is_found_through_its_order(uows, gateway, butcher) -> None:
    # given a weighed order authorised on the hosted Checkout page (its attempt is named by the session)
    order, customer, _ = butcher
    link = checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW)
    session = gateway.pay(link.id)
    webhooks.ingest(uows(), gateway, event("checkout.session.completed", session_dict(session)), now=NOW)
    assert session.payment_intent_id is not None
    # when the session's PaymentIntent is canceled at Stripe
    result = _canceled_at_stripe(uows, gateway, session.payment_intent_id, "evt_session_canceled")
    # then the session's attempt is closed and the order flagged, as for /pay
    assert result.outcome == "canceled"
    assert count(uows, PaymentAttempt, order_id=order.id, state="canceled") == 1
    assert order_row(uows, order.id, "status", "payment_status", "total") == ("confirmed", "unpaid", 4935)
    assert _open_reviews(uows, order.id) == ["authorisation_canceled"]


def test_an_authorisation_released_by_the_shops_refusal_is_not_flagged_again(uows, gateway, butcher) -> None:
    # given a weighed order refused by the shop, which released the authorisation itself
    order, customer, merchant = butcher
    paid = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_visa")
    refunds.refuse(uows(), gateway, merchant, order.id, reason="out of stock", now=NOW)
    alerts = _alerts(uows, order.id)
    # when Stripe's payment_intent.canceled for that release arrives
    intent = gateway.intents[paid.payment_intent_id or ""]
    result = webhooks.ingest(uows(), gateway, event("payment_intent.canceled", intent_dict(intent)), now=NOW)
    # then it finds the work done: no review, no new alert
    assert result.outcome == "unchanged"
    assert _open_reviews(uows, order.id) == []
    assert _alerts(uows, order.id) == alerts
    assert order_row(uows, order.id) == ("cancelled", "unpaid")


def test_the_reconciler_closes_an_authorisation_canceled_at_stripe_whose_event_was_lost(uows, gateway, butcher) -> None:
    # given two weighed orders authorised, one through /pay and one on Checkout, both canceled at
    # Stripe, and neither payment_intent.canceled delivered
    order, customer, _ = butcher
    paid = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_visa")
    shop = SimpleNamespace(slug=order.shop_slug)
    other = ordering.place_order(uows(), customer, order_of(shop, (butcher_product(uows, order), "1.000")), NOW)
    session = gateway.pay(checkout.start_checkout(uows(), gateway, customer, other.id, urls=URLS, now=NOW).id)
    webhooks.ingest(uows(), gateway, event("checkout.session.completed", session_dict(session)), now=NOW)
    for intent_id in (paid.payment_intent_id, session.payment_intent_id):
        gateway.cancel_payment_intent(intent_id or "", idempotency_key=f"dashboard:{intent_id}")
    # when the reconciler runs (twice)
    first = reconciliation.reconcile(uows(), gateway, now=NOW)
    second = reconciliation.reconcile(uows(), gateway, now=NOW)
    # then both are closed and flagged once, as the webhook would have done
    assert sorted((r.order_id, r.action) for r in first.repairs) == sorted(
        [(order.id, "authorisation_canceled"), (other.id, "authorisation_canceled")]
    )
    assert not any(r.action == "authorisation_canceled" for r in second.repairs)
    for order_id in (order.id, other.id):
        assert order_row(uows, order_id) == ("confirmed", "unpaid")
        assert _open_reviews(uows, order_id) == ["authorisation_canceled"]


def test_the_reconciler_leaves_a_live_authorisation_alone(uows, gateway, butcher) -> None:
    order, customer, _ = butcher
    _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_visa")
    report = reconciliation.reconcile(uows(), gateway, now=NOW)
    assert report.repairs == () and report.errors == ()
    assert order_row(uows, order.id) == ("confirmed", "processing")


def test_the_reconciler_records_a_payment_whose_buyer_never_came_back(uows, gateway, setup) -> None:
    # given a buyer who passed 3-D Secure, then closed the tab; the webhook was lost
    order, customer = _order(uows, setup)
    pending = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_threeDSecure2Required")
    assert pending.payment_intent_id is not None
    gateway.complete_3ds(pending.payment_intent_id)
    # when the reconciler runs (twice)
    report = reconciliation.reconcile(uows(), gateway, now=NOW)
    again = reconciliation.reconcile(uows(), gateway, now=NOW)
    # then the payment is recorded once and the order confirmed
    assert [(r.action, r.reference) for r in report.repairs] == [("fulfilled", pending.payment_intent_id)]
    assert again.repairs == ()
    assert _ledger(uows, order.id) == [("payment", 50000, pending.payment_intent_id)]
    assert order_row(uows, order.id) == ("confirmed", "paid")


def test_the_reconciler_cancels_an_unfinished_intent_when_the_hold_ends(uows, gateway, setup) -> None:
    # given a buyer who never finished 3-D Secure
    order, customer = _order(uows, setup)
    pending = _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_threeDSecure2Required")
    assert order.hold_expires_at is not None and pending.payment_intent_id is not None
    # when the reconciler runs after the order's hold ended
    later = order.hold_expires_at + timedelta(minutes=1)
    report = reconciliation.reconcile(uows(), gateway, now=later)
    # then the intent is canceled (no late payment possible), and the order cancelled with its stock back
    assert gateway.retrieve_payment_intent(pending.payment_intent_id).status == "canceled"
    assert {r.action for r in report.repairs} == {"intent_canceled", "released_hold"}
    assert order_row(uows, order.id) == ("cancelled", "unpaid")


class _CancelledWhileCharging(FakeGateway):
    """The customer's cancel lands after `/pay` reserved its attempt and before it created the intent:
    the one moment a cancel cannot close the card payment (there is nothing at Stripe to cancel yet)."""

    def __init__(self, cancel: Callable[[], object]) -> None:
        super().__init__()
        self._cancel = cancel

    def create_payment_intent(self, request, *, idempotency_key):  # type: ignore[no-untyped-def]
        self._cancel()
        return super().create_payment_intent(request, idempotency_key=idempotency_key)


def test_a_card_charged_while_the_order_was_cancelled_is_refunded_and_pay_says_so(uows, setup) -> None:
    # given an order whose cancel lands while /pay is between reserving its attempt and charging the card
    order, customer = _order(uows, setup)
    gateway = _CancelledWhileCharging(lambda: ordering.cancel_order(uows(), FakeGateway(), customer, order.id, NOW))
    # when /pay charges the card anyway
    with pytest.raises(Conflict) as refused:
        _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_visa")
    # then /pay says the order is cancelled (not "succeeded"), and the charge was refunded at once
    # under its own key, recorded, and the customer told
    intent_id = refused.value.extra["payment_intent_id"]
    assert refused.value.code == "order_cancelled"
    refund = gateway.refund_keys[duplicates.refund_key(intent_id, "paid_after_cancellation")]
    assert refund.amount == order.total
    assert _ledger(uows, order.id) == [("payment", order.total, intent_id), ("refund", order.total, refund.id)]
    assert order_row(uows, order.id) == ("cancelled", "refunded")
    assert count(uows, OutboxMessage, order_id=order.id, topic="refund_issued") == 1
    # and a repeated click is told the same
    with pytest.raises(Conflict) as again:
        _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_visa")
    assert again.value.code == "order_cancelled"


def test_a_card_authorised_while_the_order_was_cancelled_is_released_and_pay_says_so(uows) -> None:
    # given a butcher's order (the card is only authorised) whose cancel lands while /pay is charging
    butcher = add_shop(uows, capture_manually=True, capture_margin_percent=10)
    beef = add_product(uows, butcher, unit=Unit.KG, unit_price=3290, stock=20)
    customer = add_user(uows)
    order = ordering.place_order(uows(), customer, order_of(butcher, (beef, "1.000")), NOW)
    gateway = _CancelledWhileCharging(lambda: ordering.cancel_order(uows(), FakeGateway(), customer, order.id, NOW))
    # when /pay gets the card authorised anyway
    with pytest.raises(Conflict) as refused:
        _pay(uows, gateway, customer, order.id, payment_method_id="pm_card_visa")
    # then /pay says the order is cancelled, and the authorisation was canceled under the attempt's key
    assert refused.value.code == "order_cancelled"
    assert ("cancel_payment_intent", f"order:{order.id}:intent:1:cancel") in gateway.calls
    assert gateway.retrieve_payment_intent(refused.value.extra["payment_intent_id"]).status == "canceled"
    assert order_row(uows, order.id) == ("cancelled", "unpaid")
    assert _ledger(uows, order.id) == []
