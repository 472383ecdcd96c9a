"""The merchant screen's live feed: the shop's order events, read from the order history.

Every status change of every order is an `order_history` row, whoever made it (a webhook, the
worker, a merchant, the customer), so reading new rows is enough for a screen to ring when an
order arrives — no in-process bus, so events written by any process reach it. The row id is the
event id: a client that reconnects with `Last-Event-ID` resumes after it.

On PostgreSQL, ids are handed out before commit, so a row with a lower id can become visible after
a higher one. The cursor therefore re-reads a window of `WINDOW` ids below the highest it has
seen and skips the ones already sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from comptoir.domain.actors import Actor
from comptoir.domain.catalog import PaymentMethod
from comptoir.records.shop import Order, OrderHistory
from comptoir.services.merchant import workflow
from comptoir.services.ports import UnitOfWork

WINDOW = 100
BATCH = 200


@dataclass(frozen=True, slots=True)
class MerchantEvent:
    id: int
    type: str
    order_id: str
    data: dict[str, Any]


@dataclass(slots=True)
class EventCursor:
    """Where a stream is: everything at or below `floor` was handled; `seen` holds handled ids above it."""

    floor: int
    seen: set[int] = field(default_factory=set)


def open_cursor(uow: UnitOfWork, actor: Actor, *, last_event_id: int | None) -> EventCursor:
    """Resume after `last_event_id`, or start with what happens from now on. Refuses non-merchants."""
    workflow.shops_of(actor)
    if last_event_id is not None:
        return EventCursor(floor=max(last_event_id, 0))
    with uow:
        return EventCursor(floor=uow.merchant.last_history_id())


def read_events(uow: UnitOfWork, actor: Actor, cursor: EventCursor) -> list[MerchantEvent]:
    """The events since the cursor (which moves past them), oldest first."""
    shop_ids = workflow.shops_of(actor)
    with uow:
        rows = uow.merchant.history_after(shop_ids, cursor.floor, limit=BATCH)
        ids = [history.id for history, _ in rows]
        fresh = [(history, order) for history, order in rows if history.id not in cursor.seen]
        events = [event for history, order in fresh if (event := _event(history, order)) is not None]
    cursor.seen.update(ids)
    if cursor.seen:
        floor = max(cursor.seen) - WINDOW  # WINDOW < BATCH, so a full batch still moves the floor on
        if floor > cursor.floor:
            cursor.floor = floor
            cursor.seen = {i for i in cursor.seen if i > floor}
    return events


def _event(history: OrderHistory, order: Order) -> MerchantEvent | None:
    kind = _kind(history, order)
    if kind is None:
        return None
    return MerchantEvent(
        id=history.id,
        type=kind,
        order_id=order.id,
        data={
            "order_id": order.id,
            "number": order.number,
            "shop_id": order.shop_id,
            "payment_method": order.payment_method,
            "total": order.total,
            "currency": order.currency,
            "axis": history.axis,
            "from": history.from_value,
            "to": history.to_value,
            "actor": history.actor,
            "reason": history.reason,
            "at": _iso(history.at),
        },
    )


def _kind(history: OrderHistory, order: Order) -> str | None:
    pickup = order.payment_method == PaymentMethod.ON_PICKUP.value
    if history.axis == "status":
        if history.to_value == "confirmed" and pickup:
            return "order.pickup_placed"
        return {"cancelled": "order.cancelled", "ready": "order.ready", "completed": "order.completed"}.get(
            history.to_value
        )
    if history.from_value is None:
        return None
    if history.to_value == "paid" and history.from_value in {"unpaid", "processing", "failed"}:
        return "order.payment_collected" if pickup else "order.paid"
    if history.to_value in {"partially_refunded", "refunded"}:
        return "order.refunded"
    if history.to_value == "paid":
        return "order.refund_failed"
    return None


def _iso(at: datetime) -> str:
    return at.isoformat()
