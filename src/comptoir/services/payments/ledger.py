"""Recording money in the ledger and deriving an order's payment axis from it.

Every path that learns money moved (webhook, success page, reconciler, merchant at the
counter, refunds) ends here, on an order loaded with `uow.orders.get_for_update`. Entries are
keyed by the provider object, so learning the same fact twice records it once; the payment
status is recomputed from the whole ledger, so it can only reflect what really happened —
a late or repeated event cannot move it backwards.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

from comptoir.domain.actors import Actor
from comptoir.domain.ledger import Attempt, Entry, EntryKind, balance, derive_status
from comptoir.domain.orders import PAYMENT_TRANSITIONS, OrderStatus, PaymentStatus
from comptoir.domain.payments import AttemptState, may_advance
from comptoir.records.payments import OrderReview, PaymentAttempt
from comptoir.records.shop import Order
from comptoir.services import order_state
from comptoir.services.ports import LedgerRow, UnitOfWork


def advance_attempt(attempt: PaymentAttempt, state: AttemptState, at: datetime) -> bool:
    """Move an attempt forward (`domain.payments.may_advance`). True if it moved."""
    if not may_advance(attempt.state, state):
        return False
    attempt.state = state
    attempt.updated_at = at
    return True


def attempt_signal(attempts: list[PaymentAttempt]) -> Attempt:
    """What the latest attempt says about money not yet received."""
    if not attempts:
        return Attempt.NONE
    latest = max(attempts, key=lambda a: a.number)
    if latest.state in {AttemptState.PROCESSING, AttemptState.AUTHORIZED}:
        return Attempt.PROCESSING
    if latest.state == AttemptState.FAILED:
        return Attempt.FAILED
    return Attempt.NONE


def ledger_entries(uow: UnitOfWork, order_id: str) -> list[Entry]:
    """The order's ledger as domain entries."""
    return _entries(uow.payments.ledger(order_id))


def _entries(rows: list[LedgerRow]) -> list[Entry]:
    return [Entry(EntryKind(row.kind), row.amount, row.currency, row.external_id) for row in rows]


def record_entry(
    uow: UnitOfWork,
    order: Order,
    kind: EntryKind,
    *,
    amount: int,
    external_id: str,
    source: str,
    at: datetime,
    reason: str = "",
) -> bool:
    """Append one ledger entry unless this provider object was already recorded. True if written.

    One INSERT … ON CONFLICT (kind, external_id) DO NOTHING, under the caller's order lock: the
    unique key itself decides, so a racing writer neither doubles the money nor fails."""
    return uow.payments.add_entry_if_new(order.id, _row(order, kind, amount, external_id, source, reason, at))


def _row(
    order: Order, kind: EntryKind, amount: int, external_id: str, source: str, reason: str, at: datetime
) -> LedgerRow:
    return LedgerRow(
        kind=kind.value,
        amount=amount,
        currency=order.currency,
        external_id=external_id,
        source=source,
        reason=reason,
        recorded_at=at,
    )


@dataclass(frozen=True, slots=True)
class PaymentReceived:
    """A provider payment newly recorded; `earlier`: another payment the ledger already held for the
    order (this one then paid it twice), or None."""

    earlier: str | None


def receive_payment(
    uow: UnitOfWork, order: Order, *, amount: int, external_id: str, reference: str, actor: Actor, at: datetime
) -> PaymentReceived | None:
    """Record a verified provider payment once and bring the payment axis in line; None if this
    payment was recorded before (nothing changed).

    The entry is written and the whole ledger read back by one repository method
    (`uow.payments.add_entry_then_ledger`), and the payment axis follows from that same read."""
    row = _row(order, EntryKind.PAYMENT, amount, external_id, actor.source, reference, at)
    rows = uow.payments.add_entry_then_ledger(order.id, row)
    if rows is None:
        return None
    earlier = next(
        (r.external_id for r in rows if r.kind == EntryKind.PAYMENT.value and r.external_id != external_id), None
    )
    reason = f"{reference} paid twice" if earlier else f"{reference} paid"
    _sync(uow, order, _entries(rows), actor=actor, at=at, reason=reason)
    return PaymentReceived(earlier)


def sync_payment_status(uow: UnitOfWork, order: Order, *, actor: Actor, at: datetime, reason: str) -> PaymentStatus:
    """Set the order's payment axis to what the ledger and latest attempt say, one legal step at a time."""
    return _sync(uow, order, ledger_entries(uow, order.id), actor=actor, at=at, reason=reason)


def _sync(
    uow: UnitOfWork, order: Order, entries: list[Entry], *, actor: Actor, at: datetime, reason: str
) -> PaymentStatus:
    """The attempts are only read when no money was received: with a payment in the ledger the
    attempt in flight does not change the status."""
    received = balance(entries).paid > 0
    signal = Attempt.NONE if received else attempt_signal(uow.payments.attempts(order.id))
    target = derive_status(entries, signal, due=order.total)
    current = PaymentStatus(order.payment_status)
    if target is current:
        return current
    for step in _path(current, target):
        order_state.change_payment_status(uow, order, step, actor=actor, at=at, reason=reason)
    return PaymentStatus(order.payment_status)


def refundable_amount(uow: UnitOfWork, order_id: str) -> int:
    return balance(ledger_entries(uow, order_id)).refundable


def flag_for_review(uow: UnitOfWork, order: Order, *, code: str, detail: str, reference: str, at: datetime) -> bool:
    """Ask a person to look at this order (once per code and reference). True if newly flagged."""
    if uow.payments.review(code, reference) is not None:
        return False
    uow.payments.add_review(
        OrderReview(order_id=order.id, code=code, detail=detail, reference=reference, created_at=at)
    )
    return True


def confirm_if_pending(uow: UnitOfWork, order: Order, *, actor: Actor, at: datetime, reason: str) -> bool:
    if order.status != OrderStatus.PENDING.value:
        return False
    order_state.change_status(uow, order, OrderStatus.CONFIRMED, actor=actor, at=at, reason=reason)
    return True


def _path(current: PaymentStatus, target: PaymentStatus) -> list[PaymentStatus]:
    """Shortest sequence of legal transitions from current to target (empty if none exists)."""
    previous: dict[PaymentStatus, PaymentStatus | None] = {current: None}
    queue = deque([current])
    while queue:
        node = queue.popleft()
        if node is target:
            steps: list[PaymentStatus] = []
            while node is not current:
                steps.append(node)
                parent = previous[node]
                assert parent is not None
                node = parent
            return steps[::-1]
        for nxt in sorted(PAYMENT_TRANSITIONS[node]):
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    return []
