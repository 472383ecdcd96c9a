"""The feed's hub: one poller per shop for all its streams, woken by this process's commits (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.exc import OperationalError

from comptoir.adapters.db.engine import make_engine, make_read_engine
from comptoir.adapters.db.uow import SqlUnitOfWorkFactory, sql_unit_of_work_factory
from comptoir.domain.errors import Forbidden
from comptoir.records.shop import OrderHistory
from comptoir.services.merchant.feed import FeedHub, MerchantEvent, Subscription
from comptoir.services.ports import HistoryChange
from tests.conftest import _truncate_all
from tests.factories import NOW
from tests.integration.merchant_support import Shop, butcher, pickup_order
from tests.support.waiting import DEADLINE, wait_until

NEVER = 3600.0
"""A poll interval no test outlives: what arrives within the deadline came from a wake-up, not a poll."""


@pytest.fixture
def reads(engine: Engine) -> Iterator[SqlUnitOfWorkFactory]:
    read_engine = make_read_engine(engine)
    yield sql_unit_of_work_factory(read_engine)
    if read_engine is not engine:
        read_engine.dispose()


def _hub(uows: SqlUnitOfWorkFactory, reads: SqlUnitOfWorkFactory, *, poll_seconds: float) -> FeedHub:
    hub = FeedHub(reads, poll_seconds=poll_seconds)
    uows.on_history_committed(hub.wake)
    return hub


def _run(scenario: Callable[[], Coroutine[Any, Any, None]], hub: FeedHub) -> None:
    try:
        asyncio.run(scenario())
    finally:
        hub.close()


async def _receive_until(
    subscription: Subscription, done: Callable[[list[MerchantEvent]], bool]
) -> list[MerchantEvent]:
    """Every event the stream gets until `done(received)`; fails after the deadline."""
    received: list[MerchantEvent] = []

    async def collect() -> None:
        while not done(received):
            received.extend(await subscription.next(timeout=DEADLINE))

    try:
        await asyncio.wait_for(collect(), DEADLINE)
    except TimeoutError:
        raise AssertionError(f"timed out after {DEADLINE:g}s; received {received}") from None
    return received


def _placed(order_id: str) -> Callable[[list[MerchantEvent]], bool]:
    return lambda events: any(e.order_id == order_id and e.type == "order.pickup_placed" for e in events)


def test_two_streams_of_one_shop_both_get_each_order_once(uows, reads) -> None:
    # given a shop and two of its boards, on a hub polling very often (each poll re-reads the window)
    shop = butcher(uows)
    hub = _hub(uows, reads, poll_seconds=0.01)

    async def scenario() -> None:
        async with (
            hub.subscribe(shop.merchant, last_event_id=None) as first,
            hub.subscribe(shop.merchant, last_event_id=None) as second,
        ):
            # when two orders arrive, then a third one
            one = await asyncio.to_thread(pickup_order, uows, shop)
            two = await asyncio.to_thread(pickup_order, uows, shop)
            three = await asyncio.to_thread(pickup_order, uows, shop)
            # then each board gets each order once, in order, and nothing else before the last
            for board in (first, second):
                received = await _receive_until(board, _placed(three.id))
                assert [(e.type, e.order_id) for e in received] == [
                    ("order.pickup_placed", one.id),
                    ("order.pickup_placed", two.id),
                    ("order.pickup_placed", three.id),
                ]

    _run(scenario, hub)


def test_a_stream_of_one_shop_gets_nothing_of_another(uows, reads) -> None:
    # given two shops, each with a board
    shop_a, shop_b = butcher(uows), butcher(uows)
    hub = _hub(uows, reads, poll_seconds=0.01)

    async def scenario() -> None:
        async with hub.subscribe(shop_b.merchant, last_event_id=None) as board_b:
            # when shop A gets an order, then shop B
            await asyncio.to_thread(pickup_order, uows, shop_a)
            for_b = await asyncio.to_thread(pickup_order, uows, shop_b)
            # then B's board gets B's order only
            received = await _receive_until(board_b, _placed(for_b.id))
            assert [e.order_id for e in received] == [for_b.id]

    _run(scenario, hub)


def test_a_stream_that_reconnects_with_last_event_id_catches_up_on_what_it_missed(uows, reads) -> None:
    # given a board that got an order, then dropped
    shop = butcher(uows)
    hub = _hub(uows, reads, poll_seconds=NEVER)

    async def scenario() -> None:
        async with hub.subscribe(shop.merchant, last_event_id=None) as board:
            first = await asyncio.to_thread(pickup_order, uows, shop)
            (seen,) = await _receive_until(board, _placed(first.id))
        # when two orders arrive while it is away, and it reconnects with the last id it got
        missed = [await asyncio.to_thread(pickup_order, uows, shop) for _ in range(2)]
        async with hub.subscribe(shop.merchant, last_event_id=seen.id) as board:
            received = await _receive_until(board, _placed(missed[1].id))
            # and another order arrives once it is back
            later = await asyncio.to_thread(pickup_order, uows, shop)
            received += await _receive_until(board, _placed(later.id))
        # then it got the missed orders, then the new one, each once, and not the one it had
        assert [e.order_id for e in received] == [missed[0].id, missed[1].id, later.id]

    _run(scenario, hub)


def test_a_commit_of_this_process_wakes_the_poller_before_its_next_poll(uows, reads) -> None:
    # given a board on a hub whose poll would come only after the test's deadline
    shop = butcher(uows)
    hub = _hub(uows, reads, poll_seconds=NEVER)

    async def scenario() -> None:
        async with hub.subscribe(shop.merchant, last_event_id=None) as board:
            first = await asyncio.to_thread(pickup_order, uows, shop)
            await _receive_until(board, _placed(first.id))  # the poller is now waiting for its next poll
            # when this process commits another order
            second = await asyncio.to_thread(pickup_order, uows, shop)
            # then the board gets it (within the deadline, so not from a poll)
            received = await _receive_until(board, _placed(second.id))
            assert [e.order_id for e in received] == [second.id]

    _run(scenario, hub)


def test_a_customer_cannot_subscribe(uows, reads) -> None:
    shop = butcher(uows)
    hub = _hub(uows, reads, poll_seconds=NEVER)

    async def scenario() -> None:
        with pytest.raises(Forbidden):
            async with hub.subscribe(shop.customer, last_event_id=None):
                pass

    _run(scenario, hub)


@pytest.fixture
def pg_engine(_pg_database: str) -> Iterator[Engine]:
    """The PostgreSQL test database alone: only there do ids become visible out of order."""
    _truncate_all(_pg_database)
    engine = make_engine(_pg_database)
    yield engine
    engine.dispose()


@pytest.mark.postgres
def test_a_row_whose_lower_id_becomes_visible_late_is_still_sent_once(pg_engine: Engine) -> None:
    """PostgreSQL hands out ids before commit: a row can become visible after a higher one was sent."""
    uows = sql_unit_of_work_factory(pg_engine)
    shop: Shop = butcher(uows)
    hub = _hub(uows, sql_unit_of_work_factory(pg_engine), poll_seconds=0.01)
    order = pickup_order(uows, shop)

    async def scenario() -> None:
        async with hub.subscribe(shop.merchant, last_event_id=None) as board:
            # given a transaction that took an id for the order's cancellation but has not committed yet
            with pg_engine.connect() as slow:
                late_id = slow.execute(
                    insert(OrderHistory)
                    .values(
                        order_id=order.id,
                        axis="status",
                        from_value="confirmed",
                        to_value="cancelled",
                        actor="merchant:test",
                        at=datetime.now(UTC),
                        reason="",
                    )
                    .returning(OrderHistory.id)
                ).scalar_one()
                # when a later order commits (a higher id) and the board gets it
                later = await asyncio.to_thread(pickup_order, uows, shop)
                received = await _receive_until(board, _placed(later.id))
                # and the first transaction commits after that
                slow.commit()
            # then the board still gets the late row's event, once
            received += await _receive_until(board, lambda events: any(e.id == late_id for e in events))
            more = await asyncio.to_thread(pickup_order, uows, shop)
            received += await _receive_until(board, _placed(more.id))
            assert [e.id for e in received if e.id == late_id] == [late_id]
            assert late_id < received[0].id

    _run(scenario, hub)


def test_only_a_commit_that_wrote_history_calls_the_history_listeners(uows) -> None:
    # given a listener on the units of work
    calls: list[str] = []
    uows.on_history_committed(lambda: calls.append("history"))
    shop = butcher(uows)  # commits without history
    # when an order is placed (history written and committed), and another one is rolled back
    pickup_order(uows, shop)
    with uows() as uow:
        order = uow.orders.get(pickup_order(uows, shop).id)
        assert order is not None
        calls.clear()
        uow.orders.add_history(order, HistoryChange("status", "confirmed", "cancelled", "merchant:test", NOW, ""))
        uow.rollback()
        uow.commit()
    # then only the committed history called the listener
    assert calls == []
    pickup_order(uows, shop)
    assert calls == ["history"]


def test_on_sqlite_the_feed_reads_while_a_writer_holds_the_lock(sqlite_url: str) -> None:
    # given a writer in the middle of a transaction (it holds the engine's writer lock and SQLite's)
    engine = make_engine(sqlite_url)
    read_engine = make_read_engine(engine)
    writes, reads = sql_unit_of_work_factory(engine), sql_unit_of_work_factory(read_engine)
    shop = butcher(writes)
    pickup_order(writes, shop)
    done = threading.Event()
    try:
        with writes() as writer:
            order_id = pickup_order(writes, shop).id
            order = writer.orders.get(order_id)
            assert order is not None
            writer.orders.add_history(order, HistoryChange("status", "confirmed", "ready", "merchant:test", NOW, ""))

            # when the feed reads in another thread
            def read() -> None:
                with reads() as uow:
                    uow.merchant.history_ids_after(None, 0, limit=10)
                done.set()

            threading.Thread(target=read, daemon=True).start()
            # then it reads while the writer still holds the lock
            wait_until(done.is_set, "the feed's read while a writer holds the lock")
        # and its connections refuse to write
        with pytest.raises(OperationalError, match="readonly"), reads() as uow:
            read_order = uow.orders.get(order_id)
            assert read_order is not None
            uow.orders.add_history(read_order, HistoryChange("status", "ready", "completed", "merchant:x", NOW, ""))
    finally:
        read_engine.dispose()
        engine.dispose()
