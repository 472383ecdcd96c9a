"""Applying verified Stripe events exactly once, and replaying recorded ones.

The event row (unique id) is written in the same transaction as the event's effects. A
duplicate delivery finds the row and does nothing; two copies racing each other serialise on
the row's primary key (the loser's insert fails and it answers "duplicate"). When a known
event's processing fails, everything it did is rolled back, the event is recorded as
`failed` in a separate transaction (for `comptoir events replay --failed`), and the caller
answers 5xx so Stripe delivers it again. What a handler needs from Stripe (refund events: the
intent's refund list) is fetched before the transaction opens, never under a lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from comptoir.domain.actors import SYSTEM_WEBHOOK
from comptoir.domain.errors import ComptoirError, UpstreamUnavailable
from comptoir.services.payments import fulfilment, refunds
from comptoir.services.payments.provider import (
    CheckoutSession,
    PaymentGateway,
    PaymentIntent,
    Refund,
    RefundEvent,
    WebhookEvent,
)
from comptoir.services.ports import AlreadyRecorded, UnitOfWork

log = logging.getLogger(__name__)

MALFORMED_OBJECT = "malformed: data.object is not an object"
"""The outcome of an event that names a handled type but carries nothing to apply."""

Apply = Callable[[UnitOfWork, Mapping[str, Any], Any, datetime], str]
Fetch = Callable[[PaymentGateway, Mapping[str, Any]], Any]
OrderOf = Callable[[Mapping[str, Any]], str | None]


def _nothing(_gateway: PaymentGateway, _obj: Mapping[str, Any]) -> None:
    return None


def _no_order(_obj: Mapping[str, Any]) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Handler:
    """How one event type is applied: `apply(uow, object, fetched, now)` inside the event's
    transaction, after `fetch(gateway, object)` asked Stripe for what the event does not carry —
    before the transaction opens, so no row lock (nor SQLite's writer lock) is held across a
    network call. A duplicate delivery still pays for its fetch; only refund events fetch.
    `order_of(object)`: the order the event names, which a group locks before applying it."""

    apply: Apply
    fetch: Fetch = _nothing
    order_of: OrderOf = _no_order


class WebhookProcessingFailed(UpstreamUnavailable):
    code = "webhook_processing_failed"
    title = "The event could not be processed; Stripe will retry it"


@dataclass(frozen=True, slots=True)
class IngestResult:
    event_id: str
    type: str
    status: str  # processed | ignored | duplicate
    outcome: str = ""


def _session(handler: Callable[..., fulfilment.FulfilmentResult]) -> Handler:
    def apply(uow: UnitOfWork, obj: Mapping[str, Any], _fetched: None, now: datetime) -> str:
        return handler(uow, CheckoutSession.from_dict(obj), actor=SYSTEM_WEBHOOK, now=now).outcome

    def order_of(obj: Mapping[str, Any]) -> str | None:
        return CheckoutSession.from_dict(obj).named_order_id

    return Handler(apply, order_of=order_of)


def _intent(handler: Callable[..., fulfilment.FulfilmentResult]) -> Handler:
    def apply(uow: UnitOfWork, obj: Mapping[str, Any], _fetched: None, now: datetime) -> str:
        return handler(uow, PaymentIntent.from_dict(obj), actor=SYSTEM_WEBHOOK, now=now).outcome

    def order_of(obj: Mapping[str, Any]) -> str | None:
        return PaymentIntent.from_dict(obj).order_id

    return Handler(apply, order_of=order_of)


def _refunds() -> Handler:
    """Refund events carry one refund; the ledger is synced with Stripe's whole list for the intent."""

    def fetch(gateway: PaymentGateway, obj: Mapping[str, Any]) -> tuple[str, list[Refund]] | None:
        intent_id = RefundEvent.from_dict(obj).payment_intent_id
        return (intent_id, gateway.list_refunds(intent_id)) if intent_id else None

    def apply(uow: UnitOfWork, _obj: Mapping[str, Any], fetched: tuple[str, list[Refund]] | None, now: datetime) -> str:
        if fetched is None:
            return "not_ours"
        intent_id, provider_refunds = fetched
        return refunds.sync_refunds(uow, intent_id, provider_refunds, actor=SYSTEM_WEBHOOK, now=now).outcome

    return Handler(apply, fetch)


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _session(fulfilment.apply_checkout_session),
    "checkout.session.async_payment_succeeded": _session(fulfilment.apply_checkout_session),
    "checkout.session.async_payment_failed": _session(fulfilment.apply_async_payment_failed),
    "checkout.session.expired": _session(fulfilment.apply_session_expired),
    "payment_intent.succeeded": _intent(fulfilment.apply_intent_succeeded),
    "payment_intent.payment_failed": _intent(fulfilment.apply_intent_failed),
    "payment_intent.canceled": _intent(fulfilment.apply_intent_canceled),
    "charge.refunded": _refunds(),
    "refund.created": _refunds(),
    "refund.updated": _refunds(),
    "refund.failed": _refunds(),
    "charge.refund.updated": _refunds(),
}


def ingest(uow: UnitOfWork, gateway: PaymentGateway, event: WebhookEvent, *, now: datetime) -> IngestResult:
    """Apply a verified event once. Raises WebhookProcessingFailed (→ 5xx) when a handler fails."""
    return _run(uow, gateway, event, now=now, force=False)


Delivery = tuple[WebhookEvent, datetime]  # a verified event and when it was received


def ingest_many(
    uow: UnitOfWork, gateway: PaymentGateway, deliveries: Sequence[Delivery]
) -> list[IngestResult | WebhookProcessingFailed]:
    """Apply several verified events in one transaction (group commit); one outcome per event, in order.

    The SQLite lane hands over the events that arrived while the previous group was being
    applied: SQLite runs one transaction at a time anyway, and one transaction for the group
    costs a commit, a flush and a thread hop instead of one of each per event. Each event's row
    is still committed with its effects, and nobody is answered before the commit. If any
    event of the group fails, the whole group is rolled back and each event is then ingested
    on its own, so the failing one is recorded `failed` and answered 5xx while the others
    apply, exactly as if they had come one by one. Events whose handler asks Stripe first
    (refunds) always go one by one: no network call is made for a whole group.

    The group records its events' rows first, then locks every order its events to apply name,
    in one statement (`uow.orders.get_many_for_update`), then applies them in order: each
    handler's own `get_for_update` finds its order locked in this transaction and flushes
    nothing, so the group's changes are flushed once, at commit. An order the group did not
    foresee is locked by its handler as usual; a group of duplicates locks nothing.
    """
    handlers = [HANDLERS.get(event.type) for event, _ in deliveries]
    if len(deliveries) > 1 and all(handler is None or handler.fetch is _nothing for handler in handlers):
        try:
            with uow:
                grouped = list(zip(handlers, deliveries, strict=True))
                runs = [_record(uow, handler, event, now=now, force=False) for handler, (event, now) in grouped]
                to_apply = [
                    (h, event) for (h, (event, _)), run in zip(grouped, runs, strict=True) if run is not _DUPLICATE
                ]
                uow.orders.get_many_for_update(_orders_named(to_apply))
                results: list[IngestResult | WebhookProcessingFailed] = [
                    _finish(uow, handler, event, None, run, now=now)
                    for (handler, (event, now)), run in zip(grouped, runs, strict=True)
                ]
                uow.commit()
                return results
        except Exception:
            log.info("a group of %d webhook events failed; applying them one by one", len(deliveries))
    return [_outcome(uow, gateway, event, now) for event, now in deliveries]


def _orders_named(events: Sequence[tuple[Handler | None, WebhookEvent]]) -> list[str]:
    named = (
        handler.order_of(event.object)
        for handler, event in events
        if handler is not None and isinstance(event.object, Mapping)
    )
    return [order_id for order_id in named if order_id]


def _outcome(
    uow: UnitOfWork, gateway: PaymentGateway, event: WebhookEvent, now: datetime
) -> IngestResult | WebhookProcessingFailed:
    try:
        return ingest(uow, gateway, event, now=now)
    except WebhookProcessingFailed as failure:
        return failure


def replay(uow: UnitOfWork, gateway: PaymentGateway, event_id: str, *, now: datetime) -> IngestResult:
    """Re-run a recorded event through the same handler (handlers are idempotent, so this is safe)."""
    with uow:
        payload = uow.events.payload(event_id)
    if payload is None:
        raise ComptoirError(f"no recorded event {event_id}", code="event_not_found")
    event = WebhookEvent(event_id, payload["type"], int(payload.get("created", 0)), payload["data"]["object"], payload)
    return _run(uow, gateway, event, now=now, force=True)


def failed_event_ids(uow: UnitOfWork, *, limit: int = 1000) -> list[str]:
    with uow:
        return uow.events.failed_ids(limit=limit)


def _run(uow: UnitOfWork, gateway: PaymentGateway, event: WebhookEvent, *, now: datetime, force: bool) -> IngestResult:
    handler = HANDLERS.get(event.type)
    try:
        fetched = handler.fetch(gateway, event.object) if handler else None
        with uow:
            result = _apply(uow, handler, event, fetched, now=now, force=force)
            uow.commit()
            return result
    except AlreadyRecorded:
        return IngestResult(event.id, event.type, "duplicate")
    except Exception as exc:
        _record_failure(uow, event.id, event.type, event.raw, exc, now)
        raise WebhookProcessingFailed(f"processing {event.type} {event.id} failed: {exc}") from exc


_NEW, _RERUN, _DUPLICATE = "new", "rerun", "duplicate"  # how an event's row stands before it is applied


def _apply(
    uow: UnitOfWork,
    handler: Handler | None,
    event: WebhookEvent,
    fetched: Any,
    *,
    now: datetime,
    force: bool,
) -> IngestResult:
    """One event's part of an open transaction: its row and, unless it was applied before, its effects."""
    return _finish(uow, handler, event, fetched, _record(uow, handler, event, now=now, force=force), now=now)


def _record(uow: UnitOfWork, handler: Handler | None, event: WebhookEvent, *, now: datetime, force: bool) -> str:
    """The event's row: a new event is one INSERT, already in its final state (if the handler then
    fails, the rollback takes the row with it and `_record_failure` records it failed; a copy racing
    it waits on the id (PostgreSQL) or the writer lock (SQLite), then finds it). A failed event
    delivered again, or a replay, claims its row for a re-run; any other copy is a duplicate."""
    if not force and uow.events.add_if_new(event.id, event.type, event.raw, status=_status(handler, event), at=now):
        return _NEW
    if not force and uow.events.status(event.id) not in {None, "failed"}:
        return _DUPLICATE
    uow.events.claim(event.id, event.type, event.raw, at=now)
    return _RERUN


def _status(handler: Handler | None, event: WebhookEvent) -> str:
    return "processed" if handler is not None and isinstance(event.object, Mapping) else "ignored"


def _finish(
    uow: UnitOfWork, handler: Handler | None, event: WebhookEvent, fetched: Any, run: str, *, now: datetime
) -> IngestResult:
    """Apply a recorded event's effects, unless it is a duplicate.

    An event of a handled type whose `data.object` is not an object (null, a list) can never be
    applied, however often Stripe sends it: it is recorded `ignored` with the reason and answered
    2xx, never failed (a 5xx would have Stripe retry it for days)."""
    if run is _DUPLICATE:
        return IngestResult(event.id, event.type, "duplicate")
    status = _status(handler, event)
    if handler is None:
        outcome = ""
    elif status == "ignored":
        outcome = MALFORMED_OBJECT
    else:
        outcome = handler.apply(uow, event.object, fetched, now)
    if run is _RERUN:
        uow.events.mark_processed(event.id, status=status, at=now)
    return IngestResult(event.id, event.type, status, outcome)


def _record_failure(
    uow: UnitOfWork,
    event_id: str,
    event_type: str,
    raw: Mapping[str, Any],
    exc: Exception,
    now: datetime,
) -> None:
    message = f"{type(exc).__name__}: {exc}"[:2000]
    with uow:
        uow.events.mark_failed(event_id, event_type, raw, error=message, at=now)
        uow.commit()
