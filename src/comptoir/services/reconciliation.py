"""Repairing what webhooks missed.

Stripe does not promise delivery (and endpoints go down), so a periodic job re-reads every
payment attempt that is not settled yet and applies what Stripe says through the same
functions the webhook uses: a paid session whose order is still pending is fulfilled, an
expired session whose order still holds stock is cancelled and released, a delayed payment
that failed is marked failed. Refunds made in the last days (in comptoir or in the Stripe
Dashboard) are brought into the ledger; card authorisations awaiting capture that Stripe
canceled are closed and flagged. Then holds that expired with no live attempt are released.
Running it twice, or concurrently with webhooks, changes nothing more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from comptoir.domain.actors import SYSTEM_RECONCILER
from comptoir.domain.errors import ComptoirError
from comptoir.domain.payments import AttemptKind, AttemptState, Keys
from comptoir.services import fulfilment, ordering, payment_paths, refunds
from comptoir.services.payment_gateway import PaymentGateway, PaymentIntentUnexpectedState, Refund, holding_intent_id
from comptoir.services.payment_ports import PaymentUnitOfWork

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=3)
# Stripe cancels a card authorisation left uncaptured for 7 days: watch them a day longer.
AUTHORISATION_LOOKBACK = timedelta(days=8)
_FAILED_INTENT_STATES = {"requires_payment_method", "canceled"}
_WAITING_INTENT_STATES = {"requires_payment_method", "requires_confirmation", "requires_action"}


@dataclass(frozen=True, slots=True)
class Repair:
    order_id: str
    # fulfilled | processing | payment_failed | cancelled_expired | released_hold | authorized | intent_canceled
    # | authorisation_canceled | refunds_synced
    action: str
    reference: str


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    checked: int
    repairs: tuple[Repair, ...]
    errors: tuple[str, ...]


def reconcile(
    uow: PaymentUnitOfWork, gateway: PaymentGateway, *, now: datetime, lookback: timedelta = LOOKBACK
) -> ReconcileReport:
    with uow:
        watched = [
            (a.order_id, a.provider_id, a.idempotency_key, a.expires_at, a.state)
            for a in uow.payments.attempts_to_watch(
                AttemptKind.CHECKOUT_SESSION, created_after=now - lookback, limit=1000
            )
        ]
    repairs: list[Repair] = []
    errors: list[str] = []
    for order_id, session_id, key, expires_at, state in watched:
        try:
            repair = _settle_attempt(uow, gateway, order_id, session_id, key, expires_at, state, now)
        except ComptoirError as exc:
            errors.append(f"{order_id}: {exc.detail}")
            continue
        if repair is not None:
            repairs.append(repair)
    intent_repairs, intent_errors = _settle_intents(uow, gateway, now, lookback)
    repairs.extend(intent_repairs)
    errors.extend(intent_errors)
    held_repairs, held_errors = _watch_authorisations(uow, gateway, now)
    repairs.extend(held_repairs)
    errors.extend(held_errors)
    try:
        repairs.extend(_sync_recent_refunds(uow, gateway, now, lookback))
    except ComptoirError as exc:
        errors.append(f"refunds: {exc.detail}")
    try:
        repairs.extend(_release_abandoned_holds(uow, gateway, now))
    except ComptoirError as exc:
        errors.append(f"holds: {exc.detail}")
    for repair in repairs:
        log.info("reconciler repaired %s: %s (%s)", repair.order_id, repair.action, repair.reference)
    return ReconcileReport(checked=len(watched), repairs=tuple(repairs), errors=tuple(errors))


def _sync_recent_refunds(
    uow: PaymentUnitOfWork, gateway: PaymentGateway, now: datetime, lookback: timedelta
) -> list[Repair]:
    """Refund events can all be lost too: the ledger is made to agree with Stripe's recent refunds,
    one PaymentIntent at a time (intents that are not ours are skipped by `sync_refunds`)."""
    by_intent: dict[str, list[Refund]] = {}
    for refund in gateway.recent_refunds(created_after=int((now - lookback).timestamp())):
        if refund.payment_intent_id:
            by_intent.setdefault(refund.payment_intent_id, []).append(refund)
    repairs: list[Repair] = []
    for intent_id, intent_refunds in by_intent.items():
        with uow:
            result = refunds.sync_refunds(uow, intent_id, intent_refunds, actor=SYSTEM_RECONCILER, now=now)
            uow.commit()
        if result.order_id and (result.recorded or result.reversed):
            repairs.append(Repair(result.order_id, "refunds_synced", ",".join(result.recorded + result.reversed)))
    return repairs


def _settle_attempt(
    uow: PaymentUnitOfWork,
    gateway: PaymentGateway,
    order_id: str,
    session_id: str | None,
    key: str,
    expires_at: datetime | None,
    state: str,
    now: datetime,
) -> Repair | None:
    if session_id is None:
        return _close_unsent_attempt(uow, key, expires_at, now, order_id)
    session = gateway.retrieve_checkout_session(session_id)
    if session.status == "open" and session.expires_at is not None and session.expires_at <= now.timestamp():
        session = gateway.expire_checkout_session(session_id, idempotency_key=Keys.expire(key))
    if session.status == "complete" and session.payment_status == "unpaid" and session.payment_intent_id:
        # Whether or not we heard of `completed`: a debit refused while both events were lost is failed, not processing.
        if gateway.payment_intent_status(session.payment_intent_id) in _FAILED_INTENT_STATES:
            with uow:
                result = fulfilment.apply_async_payment_failed(uow, session, actor=SYSTEM_RECONCILER, now=now)
                uow.commit()
            return Repair(order_id, "payment_failed", session_id) if result.outcome == "failed" else None
        if state == AttemptState.PROCESSING:
            return None
    result = fulfilment.fulfil_checkout(uow, session, actor=SYSTEM_RECONCILER, now=now)
    action = {"paid": "fulfilled", "processing": "processing", "expired": "cancelled_expired"}.get(result.outcome)
    if action == "processing" and state == AttemptState.PROCESSING:
        return None
    return Repair(order_id, action, session_id) if action else None


def _close_unsent_attempt(
    uow: PaymentUnitOfWork, key: str, expires_at: datetime | None, now: datetime, order_id: str
) -> Repair | None:
    """An attempt whose session id was never stored (the request to Stripe failed or we crashed).
    Once past its expiry no session made with it can be paid, so it stops blocking the hold."""
    if expires_at is None or expires_at > now:
        return None
    with uow:
        for attempt in uow.payments.attempts(order_id):
            if attempt.idempotency_key == key and attempt.state == AttemptState.CREATING:
                attempt.state = AttemptState.EXPIRED
                attempt.updated_at = now
        uow.commit()
    return None


def _settle_intents(
    uow: PaymentUnitOfWork, gateway: PaymentGateway, now: datetime, lookback: timedelta
) -> tuple[list[Repair], list[str]]:
    """`/pay` attempts not settled yet: a buyer who passed 3-D Secure but never came back (and whose
    webhook was lost) is recorded; an intent still waiting for a card or an authentication when the
    order's hold ends is canceled, so the hold can be released."""
    with uow:
        watched = [
            (a.order_id, a.provider_id, a.idempotency_key, a.expires_at)
            for a in uow.payments.attempts_to_watch(
                AttemptKind.PAYMENT_INTENT, created_after=now - lookback, limit=1000
            )
        ]
    repairs: list[Repair] = []
    errors: list[str] = []
    for order_id, intent_id, key, expires_at in watched:
        if intent_id is None:
            _close_unsent_attempt(uow, key, expires_at, now, order_id)
            continue
        try:
            intent = gateway.retrieve_payment_intent(intent_id)
            if intent.status in _WAITING_INTENT_STATES and expires_at is not None and expires_at <= now:
                try:
                    intent = gateway.cancel_payment_intent(intent_id, idempotency_key=Keys.cancel(key))
                except PaymentIntentUnexpectedState:
                    intent = gateway.retrieve_payment_intent(intent_id)
            payment_paths.record_intent(uow, gateway, order_id, key, intent, actor=SYSTEM_RECONCILER, now=now)
        except ComptoirError as exc:
            errors.append(f"{order_id}: {exc.detail}")
            continue
        action = {"succeeded": "fulfilled", "requires_capture": "authorized", "canceled": "intent_canceled"}
        if intent.status in action:
            repairs.append(Repair(order_id, action[intent.status], intent_id))
    return repairs, errors


def _watch_authorisations(
    uow: PaymentUnitOfWork, gateway: PaymentGateway, now: datetime
) -> tuple[list[Repair], list[str]]:
    """Card authorisations awaiting capture (weighed goods): one canceled at Stripe (Dashboard, or
    7 days uncaptured) whose `payment_intent.canceled` was lost is applied as the webhook would."""
    with uow:
        held = [
            (a.order_id, a.kind, a.provider_id)
            for a in uow.payments.authorised_attempts(created_after=now - AUTHORISATION_LOOKBACK, limit=1000)
            if a.provider_id
        ]
    repairs: list[Repair] = []
    errors: list[str] = []
    for order_id, kind, provider_id in held:
        try:
            intent_id = holding_intent_id(gateway, kind, provider_id)
            intent = gateway.retrieve_payment_intent(intent_id)
        except ComptoirError as exc:
            errors.append(f"{order_id}: {exc.detail}")
            continue
        if intent.status != "canceled":
            continue
        with uow:
            result = fulfilment.apply_intent_canceled(uow, intent, actor=SYSTEM_RECONCILER, now=now)
            uow.commit()
        if result.outcome == "canceled":
            repairs.append(Repair(order_id, "authorisation_canceled", intent_id))
    return repairs, errors


def _release_abandoned_holds(uow: PaymentUnitOfWork, gateway: PaymentGateway, now: datetime) -> list[Repair]:
    """Holds that ended: the same sweep as the expiry job, which closes each order's payment paths
    first and spares orders whose money may still land."""
    released = ordering.release_expired_holds(uow, gateway, now, actor=SYSTEM_RECONCILER)
    return [Repair(order_id, "released_hold", "hold expired") for order_id in released]
