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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from comptoir.adapters.db.payment_models import ReceivedEvent
from comptoir.domain.actors import SYSTEM_WEBHOOK
from comptoir.domain.errors import ComptoirError, UpstreamUnavailable
from comptoir.services import fulfilment, refunds
from comptoir.services.payment_gateway import CheckoutSession, PaymentGateway, Refund, WebhookEvent
from comptoir.services.payment_ports import AlreadyRecorded, PaymentUnitOfWork

Apply = Callable[[PaymentUnitOfWork, Mapping[str, Any], Any, datetime], str]
Fetch = Callable[[PaymentGateway, Mapping[str, Any]], Any]


def _nothing(_gateway: PaymentGateway, _obj: Mapping[str, Any]) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Handler:
    """How one event type is applied: `apply(uow, object, fetched, now)` inside the event's
    transaction, after `fetch(gateway, object)` asked Stripe for what the event does not carry —
    before the transaction opens, so no row lock (nor SQLite's writer lock) is held across a
    network call. A duplicate delivery still pays for its fetch; only refund events fetch."""

    apply: Apply
    fetch: Fetch = _nothing


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
    def apply(uow: PaymentUnitOfWork, obj: Mapping[str, Any], _fetched: None, now: datetime) -> str:
        return handler(uow, CheckoutSession.from_dict(obj), actor=SYSTEM_WEBHOOK, now=now).outcome

    return Handler(apply)


def _intent_succeeded(uow: PaymentUnitOfWork, obj: Mapping[str, Any], _fetched: None, now: datetime) -> str:
    return fulfilment.apply_intent_succeeded(uow, obj, actor=SYSTEM_WEBHOOK, now=now).outcome


def _intent_failed(uow: PaymentUnitOfWork, obj: Mapping[str, Any], _fetched: None, now: datetime) -> str:
    return fulfilment.apply_intent_failed(uow, obj, actor=SYSTEM_WEBHOOK, now=now).outcome


def _refunds(intent_of: Callable[[Mapping[str, Any]], str | None]) -> Handler:
    """Refund events carry one refund; the ledger is synced with Stripe's whole list for the intent."""

    def fetch(gateway: PaymentGateway, obj: Mapping[str, Any]) -> tuple[str, list[Refund]] | None:
        intent_id = intent_of(obj)
        return (intent_id, gateway.list_refunds(intent_id)) if intent_id else None

    def apply(
        uow: PaymentUnitOfWork, _obj: Mapping[str, Any], fetched: tuple[str, list[Refund]] | None, now: datetime
    ) -> str:
        if fetched is None:
            return "not_ours"
        intent_id, provider_refunds = fetched
        return refunds.sync_refunds(uow, intent_id, provider_refunds, actor=SYSTEM_WEBHOOK, now=now).outcome

    return Handler(apply, fetch)


def _id(value: object) -> str | None:
    if isinstance(value, Mapping):
        return str(value.get("id"))
    return str(value) if value else None


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _session(fulfilment.apply_checkout_session),
    "checkout.session.async_payment_succeeded": _session(fulfilment.apply_checkout_session),
    "checkout.session.async_payment_failed": _session(fulfilment.apply_async_payment_failed),
    "checkout.session.expired": _session(fulfilment.apply_session_expired),
    "payment_intent.succeeded": Handler(_intent_succeeded),
    "payment_intent.payment_failed": Handler(_intent_failed),
    "charge.refunded": _refunds(lambda charge: _id(charge.get("payment_intent"))),
    "refund.created": _refunds(lambda refund: _id(refund.get("payment_intent"))),
    "refund.updated": _refunds(lambda refund: _id(refund.get("payment_intent"))),
    "refund.failed": _refunds(lambda refund: _id(refund.get("payment_intent"))),
    "charge.refund.updated": _refunds(lambda refund: _id(refund.get("payment_intent"))),
}


def ingest(uow: PaymentUnitOfWork, gateway: PaymentGateway, event: WebhookEvent, *, now: datetime) -> IngestResult:
    """Apply a verified event once. Raises WebhookProcessingFailed (→ 5xx) when a handler fails."""
    return _run(uow, gateway, event.id, event.type, event.raw, event.object, now=now, force=False)


def replay(uow: PaymentUnitOfWork, gateway: PaymentGateway, event_id: str, *, now: datetime) -> IngestResult:
    """Re-run a recorded event through the same handler (handlers are idempotent, so this is safe)."""
    with uow:
        row = uow.events.get(event_id)
        if row is None:
            raise ComptoirError(f"no recorded event {event_id}", code="event_not_found")
        payload = dict(row.payload)
    return _run(uow, gateway, event_id, payload["type"], payload, payload["data"]["object"], now=now, force=True)


def failed_event_ids(uow: PaymentUnitOfWork, *, limit: int = 1000) -> list[str]:
    with uow:
        return [row.id for row in uow.events.failed(limit=limit)]


def _run(
    uow: PaymentUnitOfWork,
    gateway: PaymentGateway,
    event_id: str,
    event_type: str,
    raw: Mapping[str, Any],
    obj: Mapping[str, Any],
    *,
    now: datetime,
    force: bool,
) -> IngestResult:
    handler = HANDLERS.get(event_type)
    try:
        fetched = handler.fetch(gateway, obj) if handler else None
        with uow:
            status = "processed" if handler else "ignored"
            # A new event is one INSERT, already in its final state: if the handler fails, the
            # rollback takes the row with it and `_record_failure` records it failed. A copy
            # racing it waits on the id (PostgreSQL) or the writer lock (SQLite), then finds it.
            new_row = ReceivedEvent(
                id=event_id,
                type=event_type,
                payload=dict(raw),
                status=status,
                attempts=1,
                received_at=now,
                processed_at=now,
            )
            if not force and uow.events.add_if_new(new_row):
                outcome = handler.apply(uow, obj, fetched, now) if handler else ""
                uow.commit()
                return IngestResult(event_id, event_type, status, outcome)
            row = uow.events.get_for_update(event_id)
            if row is not None and row.status != "failed" and not force:
                return IngestResult(event_id, event_type, "duplicate")
            if row is None:
                row = uow.events.add(
                    ReceivedEvent(
                        id=event_id, type=event_type, payload=dict(raw), status="received", attempts=0, received_at=now
                    )
                )
            outcome = handler.apply(uow, obj, fetched, now) if handler else ""
            row.status = status
            row.attempts += 1
            row.processed_at = now
            row.last_error = None
            uow.commit()
            return IngestResult(event_id, event_type, row.status, outcome)
    except AlreadyRecorded:
        return IngestResult(event_id, event_type, "duplicate")
    except Exception as exc:
        _record_failure(uow, event_id, event_type, raw, exc, now)
        raise WebhookProcessingFailed(f"processing {event_type} {event_id} failed: {exc}") from exc


def _record_failure(
    uow: PaymentUnitOfWork,
    event_id: str,
    event_type: str,
    raw: Mapping[str, Any],
    exc: Exception,
    now: datetime,
) -> None:
    message = f"{type(exc).__name__}: {exc}"[:2000]
    try:
        with uow:
            row = uow.events.get_for_update(event_id)
            if row is None:
                uow.events.add(
                    ReceivedEvent(
                        id=event_id,
                        type=event_type,
                        payload=dict(raw),
                        status="failed",
                        attempts=1,
                        last_error=message,
                        received_at=now,
                    )
                )
            elif row.status in {"failed", "received"}:
                row.status = "failed"
                row.attempts += 1
                row.last_error = message
            uow.commit()
    except AlreadyRecorded:
        return
