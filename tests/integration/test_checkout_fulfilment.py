"""Checkout sessions and exactly-once fulfilment, on SQLite and PostgreSQL (fake gateway; the same
flows run against the real sandbox in tests/e2e)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event

from comptoir.adapters.db.uow import SqlUnitOfWorkFactory
from comptoir.domain.actors import SYSTEM_RECONCILER, SYSTEM_SUCCESS_PAGE, SYSTEM_WEBHOOK, Role
from comptoir.domain.catalog import Unit
from comptoir.domain.errors import Conflict, NotFound
from comptoir.records.payments import LedgerEntry, OrderReview, OutboxMessage, ReceivedEvent
from comptoir.services.orders import ordering
from comptoir.services.payments import checkout, fulfilment, webhooks
from comptoir.services.payments.checkout import CheckoutUrls
from tests.factories import NOW, add_product, add_shop, add_user, order_of, stock_of
from tests.fakes import FakeGateway, event, session_dict
from tests.support import count, order_row, race
from tests.support.faults import fail_paid_order_mail_for

URLS = CheckoutUrls("http://shop/checkout/success?session_id={CHECKOUT_SESSION_ID}", "http://shop/checkout/cancel")


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def shop_setup(uows: SqlUnitOfWorkFactory):
    shop = add_shop(uows)
    product = add_product(uows, shop, unit_price=25000, stock=5)
    customer = add_user(uows)
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop])
    return shop, product, customer, merchant


def _order(uows, shop_setup, quantity=2):
    shop, product, customer, _ = shop_setup
    return ordering.place_order(uows(), customer, order_of(shop, (product, quantity)), NOW), customer


def _paid_order(uows, gateway, shop_setup):
    """An online order paid through Checkout and fulfilled: (order, the paid session)."""
    order, customer = _order(uows, shop_setup)
    paid = gateway.pay(checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW).id)
    fulfilment.fulfil_checkout(uows(), paid, actor=SYSTEM_WEBHOOK, now=NOW)
    return order, paid


def test_checkout_session_is_created_once_and_reused_while_open(uows, gateway, shop_setup) -> None:
    # given a pending online order
    order, customer = _order(uows, shop_setup)
    # when the customer asks for a checkout session twice
    first = checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW)
    second = checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW + timedelta(minutes=1))
    # then it is the same session, created with one deterministic key, priced from the order
    assert first.id == second.id
    assert gateway.create_calls == 1
    request = gateway.requests[f"order:{order.id}:checkout:1"]
    assert sum(line.unit_amount * line.quantity for line in request.lines) == order.total == 50000
    assert request.order_id == order.id
    assert request.expires_at >= int((NOW + timedelta(minutes=30)).timestamp())
    assert request.display_name == shop_setup[0].name  # the hosted page names the shop, not the account


def test_concurrent_checkout_requests_share_one_session(uows, gateway, shop_setup) -> None:
    # given an order, and a customer who clicks "pay" six times at once
    order, customer = _order(uows, shop_setup)
    # when the six requests race
    outcomes = race([lambda: checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW).id] * 6)
    # then they all get the one session the provider made
    assert all(isinstance(outcome, str) for outcome in outcomes), outcomes
    assert len(set(outcomes)) == 1
    assert len(gateway.sessions) == 1


def test_another_customer_cannot_start_checkout(uows, gateway, shop_setup) -> None:
    order, _ = _order(uows, shop_setup)
    stranger = add_user(uows)
    with pytest.raises(NotFound):
        checkout.start_checkout(uows(), gateway, stranger, order.id, urls=URLS, now=NOW)


def test_pay_at_pickup_order_has_no_checkout(uows, gateway) -> None:
    shop = add_shop(uows, on_pickup=True, pickup=True, delivery=False)
    product = add_product(uows, shop)
    customer = add_user(uows)
    order = ordering.place_order(
        uows(),
        customer,
        order_of(shop, (product, 1), payment_method="on_pickup", delivery_address=None, pickup={"slot": "sat"}),
        NOW,
    )
    with pytest.raises(Conflict) as refused:
        checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW)
    assert refused.value.code == "order_pays_on_pickup"


def test_weighed_lines_become_one_item_at_the_line_total(uows, gateway) -> None:
    shop = add_shop(uows)
    beef = add_product(uows, shop, name="Entrecôte", unit=Unit.KG, unit_price=3290, stock="5")
    customer = add_user(uows)
    order = ordering.place_order(uows(), customer, order_of(shop, (beef, "0.750")), NOW)
    checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW)
    (line,) = gateway.requests[f"order:{order.id}:checkout:1"].lines
    assert (line.quantity, line.unit_amount, line.description) == (1, 2468, "0.750 kg")


def test_paid_session_fulfils_once_whoever_calls(uows, gateway, shop_setup) -> None:
    # given a paid session
    order, customer = _order(uows, shop_setup)
    link = checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW)
    paid = gateway.pay(link.id)
    # when the webhook, the success page and the reconciler all apply it
    outcomes = [
        fulfilment.fulfil_checkout(uows(), paid, actor=who, now=NOW).outcome
        for who in (SYSTEM_WEBHOOK, SYSTEM_SUCCESS_PAGE, SYSTEM_RECONCILER)
    ]
    # then the first records it and the others change nothing
    assert outcomes == ["paid", "unchanged", "unchanged"]
    assert order_row(uows, order.id) == ("confirmed", "paid")
    assert count(uows, LedgerEntry, order_id=order.id) == 1
    topics = sorted(_outbox(uows, order.id))
    assert topics == ["merchant_alert", "receipt"]


def _outbox(uows, order_id) -> list[str]:
    """The topics of the messages queued for an order, oldest first."""
    with uows() as uow:
        return [message.topic for message in uow.outbox.for_order(order_id)]


def test_concurrent_fulfilment_records_one_payment(uows, gateway, shop_setup) -> None:
    order, customer = _order(uows, shop_setup)
    paid = gateway.pay(checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW).id)
    # when eight deliveries of its payment are applied at once
    outcomes = race([lambda: fulfilment.fulfil_checkout(uows(), paid, actor=SYSTEM_WEBHOOK, now=NOW).outcome] * 8)
    # then one pays the order and the others find it paid
    assert sorted(map(str, outcomes)) == ["paid"] + ["unchanged"] * 7
    assert count(uows, LedgerEntry, order_id=order.id) == 1
    assert len(_outbox(uows, order.id)) == 2


def test_amount_mismatch_is_flagged_and_never_paid(uows, gateway, shop_setup) -> None:
    order, customer = _order(uows, shop_setup)
    link = checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW)
    tampered = gateway.pay(link.id, amount=100)
    result = fulfilment.fulfil_checkout(uows(), tampered, actor=SYSTEM_WEBHOOK, now=NOW)
    assert result.outcome == "mismatch"
    assert order_row(uows, order.id) == ("pending", "unpaid")
    assert count(uows, OrderReview, order_id=order.id, code="checkout_mismatch") == 1
    assert count(uows, LedgerEntry, order_id=order.id) == 0


def test_delayed_payment_processing_then_succeeded_and_late_completed_is_ignored(uows, gateway, shop_setup) -> None:
    order, customer = _order(uows, shop_setup)
    link = checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW)
    completed = gateway.pay(link.id, delayed=True)
    assert fulfilment.fulfil_checkout(uows(), completed, actor=SYSTEM_WEBHOOK, now=NOW).outcome == "processing"
    assert order_row(uows, order.id) == ("pending", "processing")
    succeeded = gateway.settle_delayed(link.id, succeeded=True)
    assert fulfilment.fulfil_checkout(uows(), succeeded, actor=SYSTEM_WEBHOOK, now=NOW).outcome == "paid"
    # a late duplicate of `completed` (payment_status unpaid) must not move anything back
    late = fulfilment.fulfil_checkout(uows(), completed, actor=SYSTEM_WEBHOOK, now=NOW)
    assert late.payment_status == "paid"
    assert order_row(uows, order.id) == ("confirmed", "paid")


def test_delayed_payment_failure_marks_failed_and_tells_the_customer(uows, gateway, shop_setup) -> None:
    order, customer = _order(uows, shop_setup)
    link = checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW)
    completed = gateway.pay(link.id, delayed=True)
    fulfilment.fulfil_checkout(uows(), completed, actor=SYSTEM_WEBHOOK, now=NOW)
    with uows() as uow:
        result = fulfilment.apply_async_payment_failed(uow, completed, actor=SYSTEM_WEBHOOK, now=NOW)
        uow.commit()
    assert result.outcome == "failed"
    assert order_row(uows, order.id) == ("pending", "failed")
    assert _outbox(uows, order.id) == ["payment_failed"]


def test_expired_session_after_the_hold_cancels_and_releases_stock_once(uows, gateway, shop_setup) -> None:
    _, product, customer, _ = shop_setup
    order, _ = _order(uows, shop_setup, quantity=3)
    link = checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW)
    assert stock_of(uows, product) == 2
    expired = gateway.expire_checkout_session(link.id, idempotency_key="x")
    later = link.expires_at + timedelta(seconds=1)
    for _ in range(2):
        with uows() as uow:
            fulfilment.apply_session_expired(uow, expired, actor=SYSTEM_WEBHOOK, now=later)
            uow.commit()
    assert order_row(uows, order.id) == ("cancelled", "unpaid")
    assert stock_of(uows, product) == 5


def test_session_expired_early_lets_the_customer_start_a_new_one(uows, gateway, shop_setup) -> None:
    order, customer = _order(uows, shop_setup)
    link = checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW)
    expired = gateway.expire_checkout_session(link.id, idempotency_key="x")
    with uows() as uow:
        assert fulfilment.apply_session_expired(uow, expired, actor=SYSTEM_WEBHOOK, now=NOW).outcome == "unchanged"
        uow.commit()
    again = checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW + timedelta(minutes=2))
    assert again.id != link.id
    assert f"order:{order.id}:checkout:2" in gateway.by_key


def test_paid_order_cannot_start_another_checkout(uows, gateway, shop_setup) -> None:
    order, _ = _paid_order(uows, gateway, shop_setup)
    customer = shop_setup[2]
    with pytest.raises(Conflict) as refused:
        checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW)
    assert refused.value.code == "order_already_paid"


def test_webhook_events_apply_once_and_duplicates_are_recognised(uows, gateway, shop_setup) -> None:
    order, customer = _order(uows, shop_setup)
    paid = gateway.pay(checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW).id)
    completed = event("checkout.session.completed", session_dict(paid), event_id="evt_1")
    first = webhooks.ingest(uows(), gateway, completed, now=NOW)
    again = webhooks.ingest(uows(), gateway, completed, now=NOW)
    unknown = webhooks.ingest(uows(), gateway, event("customer.created", {"id": "cus_1"}), now=NOW)
    assert (first.status, first.outcome) == ("processed", "paid")
    assert again.status == "duplicate"
    assert unknown.status == "ignored"
    assert count(uows, ReceivedEvent) == 2
    assert count(uows, LedgerEntry, order_id=order.id) == 1


def test_a_failing_handler_leaves_no_partial_effect_and_is_replayable(uows, gateway, shop_setup, monkeypatch) -> None:
    order, customer = _order(uows, shop_setup)
    paid = gateway.pay(checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW).id)
    completed = event("checkout.session.completed", session_dict(paid), event_id="evt_boom")

    def explode(*args, **kwargs):
        raise RuntimeError("mail template missing")

    # given a handler that fails after the ledger entry was written
    monkeypatch.setattr("comptoir.services.messages.notifications.queue_paid_order", explode)
    with pytest.raises(webhooks.WebhookProcessingFailed):
        webhooks.ingest(uows(), gateway, completed, now=NOW)
    # then nothing it did is kept, and the event is recorded as failed
    assert order_row(uows, order.id) == ("pending", "unpaid")
    assert count(uows, LedgerEntry, order_id=order.id) == 0
    assert webhooks.failed_event_ids(uows()) == ["evt_boom"]
    # when it is replayed once the fault is gone
    monkeypatch.undo()
    result = webhooks.replay(uows(), gateway, "evt_boom", now=NOW)
    assert (result.status, result.outcome) == ("processed", "paid")
    assert webhooks.failed_event_ids(uows()) == []
    assert order_row(uows, order.id) == ("confirmed", "paid")


def test_refunds_from_the_dashboard_land_in_the_ledger_whatever_the_event_order(uows, gateway, shop_setup) -> None:
    from comptoir.services.payments.provider import Refund

    order, paid = _paid_order(uows, gateway, shop_setup)
    intent = paid.payment_intent_id
    assert intent is not None
    refund = Refund("re_1", 20000, "EUR", "pending", intent, "ch_1", "requested_by_customer")
    gateway.refunds[intent] = [refund]
    webhooks.ingest(uows(), gateway, event("refund.created", {"id": "re_1", "payment_intent": intent}), now=NOW)
    assert order_row(uows, order.id)[1] == "partially_refunded"
    # the refund fails; a stale `charge.refunded` arriving afterwards must not re-count it
    gateway.refunds[intent] = [Refund("re_1", 20000, "EUR", "failed", intent, "ch_1", None)]
    webhooks.ingest(uows(), gateway, event("refund.failed", {"id": "re_1", "payment_intent": intent}), now=NOW)
    webhooks.ingest(uows(), gateway, event("charge.refunded", {"id": "ch_1", "payment_intent": intent}), now=NOW)
    assert order_row(uows, order.id)[1] == "paid"
    gateway.refunds[intent].append(Refund("re_2", 50000, "EUR", "succeeded", intent, "ch_1", None))
    webhooks.ingest(uows(), gateway, event("charge.refunded", {"id": "ch_1", "payment_intent": intent}), now=NOW)
    assert order_row(uows, order.id)[1] == "refunded"
    assert count(uows, LedgerEntry, order_id=order.id) == 4  # payment, refund, reversal, refund


def _watch_refund_calls(gateway, uow) -> list[str]:
    """Whether `uow` had a transaction open each time Stripe's refund list was asked for."""
    during_call: list[str] = []
    list_refunds = gateway.list_refunds

    def watched(payment_intent_id: str):
        try:
            _ = uow.session
            during_call.append("transaction open")
        except RuntimeError:
            during_call.append("no transaction")
        return list_refunds(payment_intent_id)

    gateway.list_refunds = watched
    return during_call


def test_a_refund_event_asks_stripe_for_the_refunds_before_its_transaction_opens(uows, gateway, shop_setup) -> None:
    from comptoir.services.payments.provider import Refund

    # given a paid order refunded in the Dashboard
    order, paid = _paid_order(uows, gateway, shop_setup)
    intent = paid.payment_intent_id
    assert intent is not None
    gateway.refunds[intent] = [Refund("re_1", 20000, "EUR", "succeeded", intent, "ch_1", None)]
    uow = uows()
    during_call = _watch_refund_calls(gateway, uow)
    # when its charge.refunded event arrives
    result = webhooks.ingest(uow, gateway, event("charge.refunded", {"id": "ch_1", "payment_intent": intent}), now=NOW)
    # then Stripe was asked while no transaction (no lock) was held, and the refund landed
    assert during_call == ["no transaction"]
    assert (result.status, result.outcome) == ("processed", "changed")
    assert order_row(uows, order.id)[1] == "partially_refunded"


def test_a_refund_event_whose_stripe_call_fails_is_recorded_failed_for_a_retry(uows, gateway, shop_setup) -> None:
    from comptoir.domain.errors import UpstreamUnavailable

    order, paid = _paid_order(uows, gateway, shop_setup)

    def down(_payment_intent_id: str) -> list:
        raise UpstreamUnavailable("Stripe is unreachable")

    # given Stripe cannot be reached
    gateway.list_refunds = down  # type: ignore[method-assign]
    # when a refund event arrives, then it answers "retry" (5xx) and is kept as failed for replay
    with pytest.raises(webhooks.WebhookProcessingFailed):
        webhooks.ingest(
            uows(),
            gateway,
            event("charge.refunded", {"id": "ch_1", "payment_intent": paid.payment_intent_id}, event_id="evt_down"),
            now=NOW,
        )
    assert webhooks.failed_event_ids(uows()) == ["evt_down"]
    assert order_row(uows, order.id) == ("confirmed", "paid")


def test_payment_intent_succeeded_and_session_completed_record_the_same_money_once(uows, gateway, shop_setup) -> None:
    order, customer = _order(uows, shop_setup)
    paid = gateway.pay(checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW).id)
    intent = {
        "id": paid.payment_intent_id,
        "object": "payment_intent",
        "amount": 50000,
        "amount_received": 50000,
        "currency": "eur",
        "metadata": {"order_id": order.id},
    }
    webhooks.ingest(uows(), gateway, event("payment_intent.succeeded", intent), now=NOW)
    webhooks.ingest(uows(), gateway, event("checkout.session.completed", session_dict(paid)), now=NOW)
    assert count(uows, LedgerEntry, order_id=order.id) == 1
    assert order_row(uows, order.id) == ("confirmed", "paid")
    assert _outbox(uows, order.id).count("receipt") == 1


def test_outbox_rows_are_unique_per_fact(uows, gateway, shop_setup) -> None:
    order, _ = _paid_order(uows, gateway, shop_setup)
    assert count(uows, OutboxMessage, order_id=order.id, topic="receipt") == 1


def test_the_reconciler_books_refunds_whose_events_were_all_lost(uows, gateway, shop_setup) -> None:
    from comptoir.services import reconciliation
    from comptoir.services.payments.provider import Refund

    # given a paid order, refunded twice in the Dashboard, and not one refund event delivered
    order, paid = _paid_order(uows, gateway, shop_setup)
    intent = paid.payment_intent_id
    assert intent is not None
    created = int(NOW.timestamp())
    gateway.refunds[intent] = [
        Refund("re_a", 10000, "EUR", "succeeded", intent, "ch_1", None, created=created + 10),
        Refund("re_b", 40000, "EUR", "pending", intent, "ch_1", None, created=created + 20),
    ]
    # when the reconciler runs (twice)
    first = reconciliation.reconcile(uows(), gateway, now=NOW + timedelta(minutes=5))
    second = reconciliation.reconcile(uows(), gateway, now=NOW + timedelta(minutes=6))
    # then both refunds are booked once and the order is refunded
    assert [(r.order_id, r.action) for r in first.repairs] == [(order.id, "refunds_synced")]
    assert second.repairs == ()
    assert order_row(uows, order.id) == ("confirmed", "refunded")
    assert count(uows, LedgerEntry, order_id=order.id, kind="refund") == 2


# --- group commit: the SQLite lane applies the events that queued up together ------------------


def _completed(uows, gateway, shop_setup, event_id):
    """A pending order and the signed `checkout.session.completed` of its paid session."""
    order, customer = _order(uows, shop_setup, quantity=1)
    paid = gateway.pay(checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW).id)
    return order, paid, event("checkout.session.completed", session_dict(paid), event_id=event_id)


def _commits(engine) -> list[int]:
    commits: list[int] = []
    sa_event.listen(engine, "commit", lambda _conn: commits.append(1))
    return commits


def _order_updates(engine) -> list[int]:
    """Rows per `UPDATE orders` statement sent (an executemany counts once)."""
    updates: list[int] = []

    def seen(_conn, _cursor, statement, parameters, _context, executemany):
        if statement.lstrip().upper().startswith("UPDATE ORDERS"):
            updates.append(len(parameters) if executemany else 1)

    sa_event.listen(engine, "before_cursor_execute", seen)
    return updates


def test_a_group_of_events_is_applied_once_each_in_one_transaction(uows, gateway, shop_setup, engine) -> None:
    # given two paid sessions' events, a second copy of the first, and an event type we ignore
    first, _, first_event = _completed(uows, gateway, shop_setup, "evt_a")
    second, _, second_event = _completed(uows, gateway, shop_setup, "evt_b")
    unknown = event("customer.created", {"id": "cus_1"}, event_id="evt_c")
    commits, order_updates = _commits(engine), _order_updates(engine)
    # when they arrive as one group
    outcomes = webhooks.ingest_many(
        uows(), gateway, [(first_event, NOW), (second_event, NOW), (first_event, NOW), (unknown, NOW)]
    )
    # then each is answered as if alone, and one commit made them all
    assert [(o.status, o.outcome) for o in outcomes] == [
        ("processed", "paid"),
        ("processed", "paid"),
        ("duplicate", ""),
        ("ignored", ""),
    ]
    assert len(commits) == 1
    assert order_updates == [2]  # both orders flushed together, at commit, not one flush per event
    for order in (first, second):
        assert order_row(uows, order.id) == ("confirmed", "paid")
        assert count(uows, LedgerEntry, order_id=order.id) == 1
        assert _outbox(uows, order.id).count("receipt") == 1
    assert count(uows, ReceivedEvent) == 3


def test_a_failing_event_fails_alone_and_the_rest_of_its_group_applies(uows, gateway, shop_setup, monkeypatch) -> None:
    # given a group whose middle event's handler fails
    ok_before, _, ok_before_event = _completed(uows, gateway, shop_setup, "evt_ok_1")
    doomed, _, doomed_event = _completed(uows, gateway, shop_setup, "evt_doomed")
    ok_after, _, ok_after_event = _completed(uows, gateway, shop_setup, "evt_ok_2")
    fail_paid_order_mail_for(monkeypatch, doomed.id)
    # when the group is ingested
    outcomes = webhooks.ingest_many(
        uows(), gateway, [(ok_before_event, NOW), (doomed_event, NOW), (ok_after_event, NOW)]
    )
    # then the failing event is answered 5xx, left no trace but its `failed` row, and the others applied
    assert isinstance(outcomes[1], webhooks.WebhookProcessingFailed)
    assert [outcomes[0].status, outcomes[2].status] == ["processed", "processed"]
    assert order_row(uows, doomed.id) == ("pending", "unpaid")
    assert count(uows, LedgerEntry, order_id=doomed.id) == 0
    assert webhooks.failed_event_ids(uows()) == ["evt_doomed"]
    for order in (ok_before, ok_after):
        assert order_row(uows, order.id) == ("confirmed", "paid")
        assert count(uows, LedgerEntry, order_id=order.id) == 1


def test_two_events_for_one_payment_in_one_group_record_the_money_once(uows, gateway, shop_setup) -> None:
    # given payment_intent.succeeded and checkout.session.completed for the same payment
    order, paid, completed = _completed(uows, gateway, shop_setup, "evt_session")
    intent = {
        "id": paid.payment_intent_id,
        "object": "payment_intent",
        "amount": order.total,
        "amount_received": order.total,
        "currency": "eur",
        "metadata": {"order_id": order.id},
    }
    succeeded = event("payment_intent.succeeded", intent, event_id="evt_intent")
    # when both arrive in one group
    outcomes = webhooks.ingest_many(uows(), gateway, [(succeeded, NOW), (completed, NOW)])
    # then the first records the payment, the second changes nothing
    assert [o.outcome for o in outcomes] == ["paid", "unchanged"]
    assert count(uows, LedgerEntry, order_id=order.id) == 1
    assert order_row(uows, order.id) == ("confirmed", "paid")
    assert _outbox(uows, order.id).count("receipt") == 1


def test_a_refund_event_in_a_group_still_asks_stripe_with_no_transaction_open(uows, gateway, shop_setup) -> None:
    from comptoir.services.payments.provider import Refund

    # given a paid order refunded in the Dashboard, and another order's session event
    refunded, paid = _paid_order(uows, gateway, shop_setup)
    other, _, other_event = _completed(uows, gateway, shop_setup, "evt_other")
    intent = paid.payment_intent_id
    gateway.refunds[intent] = [Refund("re_1", 20000, "EUR", "succeeded", intent, "ch_1", None)]
    uow = uows()
    during_call = _watch_refund_calls(gateway, uow)
    refund_event = event("charge.refunded", {"id": "ch_1", "payment_intent": intent})
    # when both arrive in one group
    outcomes = webhooks.ingest_many(uow, gateway, [(other_event, NOW), (refund_event, NOW)])
    # then Stripe was asked outside any transaction and both applied
    assert during_call == ["no transaction"]
    assert [o.outcome for o in outcomes] == ["paid", "changed"]
    assert order_row(uows, refunded.id)[1] == "partially_refunded"
    assert order_row(uows, other.id) == ("confirmed", "paid")
