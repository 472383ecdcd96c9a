"""The repositories' fast paths: one behaviour each, whatever the session holds.

An order is locked once per transaction (`get_for_update`, `get_many_for_update`), line summaries
are one read that never flushes, and each operation on a webhook event's row is one method.
"""

from __future__ import annotations

from datetime import timedelta

from factories import NOW, add_product, add_shop, add_user, order_of
from sqlalchemy import Engine, update
from sqlalchemy import event as sa_event

from comptoir.adapters.db.uow import SqlUnitOfWorkFactory
from comptoir.records.payments import ReceivedEvent
from comptoir.records.shop import Order
from comptoir.services.orders.ordering import place_order
from comptoir.services.ports import LineSummary
from tests.support.rows import count


def _statements(engine: Engine) -> list[str]:
    sent: list[str] = []
    sa_event.listen(engine, "before_cursor_execute", lambda *args: sent.append(args[2].lstrip().split()[0].upper()))
    return sent


def _placed(uows: SqlUnitOfWorkFactory, *quantities: int) -> str:
    shop = add_shop(uows)
    lines = [(add_product(uows, shop, stock=10), quantity) for quantity in quantities]
    return place_order(uows(), add_user(uows), order_of(shop, *lines), NOW).id


def test_an_order_read_before_its_lock_is_read_again_from_the_locked_row(uows: SqlUnitOfWorkFactory) -> None:
    # given an order loaded without the lock, whose row then changes behind the session's back
    order_id = _placed(uows, 1)
    with uows() as uow:
        held = uow.orders.get(order_id)
        assert held is not None and held.status == "pending"
        uow.session.connection().execute(update(Order).where(Order.id == order_id).values(status="confirmed"))

        # when the order is locked
        locked = uow.orders.get_for_update(order_id)

        # then it is the same object, read again from the row
        assert locked is held
        assert locked.status == "confirmed"


def test_a_locked_order_is_returned_as_this_transaction_left_it_without_sql(
    uows: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    # given an order locked and changed in memory, not flushed
    order_id = _placed(uows, 1)
    uow = uows()
    with uow:
        order = uow.orders.get_for_update(order_id)
        assert order is not None
        order.status = "confirmed"
        sent = _statements(engine)

        # when it is asked for again in the same transaction
        again = uow.orders.get_for_update(order_id)

        # then the same object comes back with the change, and nothing was sent or flushed
        assert again is order and again.status == "confirmed"
        assert sent == []
        uow.commit()

        # and after the commit the next transaction takes the lock again, reading the committed row
        assert uow.orders.get_for_update(order_id) is order
        assert sent == ["UPDATE", "SELECT"]


def test_a_group_locks_its_orders_in_one_statement_and_flushes_nothing_in_between(
    uows: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    # given two orders, and an id of no order
    first, second = _placed(uows, 1), _placed(uows, 2)
    with uows() as uow:
        sent = _statements(engine)

        # when they are locked together, then the first changed and the second asked for alone
        locked = uow.orders.get_many_for_update([second, "no-such-order", first])
        locked[first].status = "confirmed"
        alone = uow.orders.get_for_update(second)

        # then one SELECT locked both, the second came back without SQL, and the change waits for the flush
        assert set(locked) == {first, second}
        assert alone is locked[second]
        assert sent == ["SELECT"]
        uow.commit()
    assert sent == ["SELECT", "UPDATE"]


def test_line_summaries_read_the_stored_lines_and_show_a_held_lines_change_without_a_flush(
    uows: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    # given an order of two lines, locked and changed in memory, one of its lines weighed in memory
    order_id = _placed(uows, 1, 3)
    with uows() as uow:
        order = uow.orders.get_for_update(order_id)
        assert order is not None
        stored = uow.orders.line_summaries(order)
        order.status = "confirmed"
        order.lines[1].quantity_milli = 2500
        sent = _statements(engine)

        # when the lines are summarised
        summaries = uow.orders.line_summaries(order)

        # then the weighed line shows its change, the other is as stored, and nothing was flushed
        assert [s.quantity_milli for s in stored] == [1000, 3000]
        assert summaries == [stored[0], LineSummary(stored[1].name, stored[1].unit, 2500, stored[1].line_total)]
        assert sent == ["SELECT"]


def test_a_failed_event_is_recorded_once_then_counted_and_never_over_a_processed_one(
    uows: SqlUnitOfWorkFactory,
) -> None:
    # given no row for evt_f, and evt_p already processed
    with uows() as uow:
        assert uow.events.add_if_new("evt_p", "x", {"id": "evt_p"}, status="processed", at=NOW)
        uow.commit()

    # when evt_f fails twice and evt_p is reported failed by a late copy
    for attempt in (1, 2):
        with uows() as uow:
            uow.events.mark_failed("evt_f", "x", {"id": "evt_f"}, error=f"boom {attempt}", at=NOW)
            uow.events.mark_failed("evt_p", "x", {"id": "evt_p"}, error="late", at=NOW)
            uow.commit()

    # then evt_f is failed with two attempts and the last error, evt_p untouched
    with uows() as uow:
        failed = uow.session.get(ReceivedEvent, "evt_f")
        processed = uow.session.get(ReceivedEvent, "evt_p")
        assert failed is not None and processed is not None
        assert (failed.status, failed.attempts, failed.last_error) == ("failed", 2, "boom 2")
        assert (processed.status, processed.attempts, processed.last_error) == ("processed", 1, None)
        assert uow.events.failed_ids(limit=10) == ["evt_f"]
        assert uow.events.payload("evt_f") == {"id": "evt_f"}


def test_a_claimed_event_is_marked_processed_with_one_more_attempt(uows: SqlUnitOfWorkFactory) -> None:
    # given a failed event, and one never recorded
    with uows() as uow:
        uow.events.mark_failed("evt_f", "x", {"id": "evt_f"}, error="boom", at=NOW)
        uow.commit()
    later = NOW + timedelta(minutes=1)

    # when both are claimed for a run and marked processed
    with uows() as uow:
        for event_id in ("evt_f", "evt_new"):
            uow.events.claim(event_id, "x", {"id": event_id}, at=later)
            uow.events.mark_processed(event_id, status="processed", at=later)
        uow.commit()

    # then each is processed, its error cleared, its attempts counted
    with uows() as uow:
        rows = {e: uow.session.get(ReceivedEvent, e) for e in ("evt_f", "evt_new")}
        assert {e: (r.status, r.attempts, r.last_error) for e, r in rows.items() if r} == {
            "evt_f": ("processed", 2, None),
            "evt_new": ("processed", 1, None),
        }
        assert uow.events.status("evt_new") == "processed"
        assert uow.events.failed_ids(limit=10) == []
    assert count(uows, ReceivedEvent) == 2
