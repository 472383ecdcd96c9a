"""Recording money in the ledger and deriving an order's payment axis from it.

Every path that learns money moved (webhook, success page, reconciler, merchant at the
counter, refunds) ends here, on an order loaded with `uow.orders.get_for_update`. Entries are
keyed by the provider object, so learning the same fact twice records it once; the payment
status is recomputed from the whole ledger, so it can only reflect what really happened —
a late or repeated event cannot move it backwards.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime

from comptoir.adapters.db.models import Order
from comptoir.adapters.db.payment_models import OrderReview, PaymentAttempt
from comptoir.domain.actors import Actor
from comptoir.domain.ledger import Attempt, Entry, EntryKind, balance, derive_status
from comptoir.domain.orders import PAYMENT_TRANSITIONS, OrderStatus, PaymentStatus
from comptoir.domain.payments import AttemptState, may_advance
from comptoir.services import order_state
from comptoir.services.payment_ports import LedgerRow, PaymentUnitOfWork


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


def ledger_entries(uow: PaymentUnitOfWork, order_id: str, rows: list[LedgerRow] | None = None) -> list[Entry]:
    """The order's ledger as domain entries (from `rows` when the caller just read them)."""
    return [
        Entry(EntryKind(row.kind), row.amount, row.currency, row.external_id)
        for row in (uow.payments.ledger(order_id) if rows is None else rows)
    ]


def record_entry(
    uow: PaymentUnitOfWork,
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
    return uow.payments.add_entry_if_new(
        order.id,
        LedgerRow(
            kind=kind.value,
            amount=amount,
            currency=order.currency,
            external_id=external_id,
            source=source,
            reason=reason,
            recorded_at=at,
        ),
    )


def sync_payment_status(
    uow: PaymentUnitOfWork,
    order: Order,
    *,
    actor: Actor,
    at: datetime,
    reason: str,
    ledger: list[LedgerRow] | None = None,
) -> PaymentStatus:
    """Set the order's payment axis to what the ledger and latest attempt say, one legal step at a time.

    `ledger`: the order's whole ledger if the caller has just read it (in this transaction, under
    the order lock). The attempts are only read when no money was received: with a payment in the
    ledger the attempt in flight does not change the status."""
    entries = ledger_entries(uow, order.id, ledger)
    received = balance(entries).paid > 0
    signal = Attempt.NONE if received else attempt_signal(uow.payments.attempts(order.id))
    target = derive_status(entries, signal, due=order.total)
    current = PaymentStatus(order.payment_status)
    if target is current:
        return current
    for step in _path(current, target):
        order_state.change_payment_status(order, step, actor=actor, at=at, reason=reason)
    return PaymentStatus(order.payment_status)


def refundable_amount(uow: PaymentUnitOfWork, order_id: str) -> int:
    return balance(ledger_entries(uow, order_id)).refundable


def flag_for_review(
    uow: PaymentUnitOfWork, order: Order, *, code: str, detail: str, reference: str, at: datetime
) -> bool:
    """Ask a person to look at this order (once per code and reference). True if newly flagged."""
    if uow.payments.review(code, reference) is not None:
        return False
    uow.payments.add_review(
        OrderReview(order_id=order.id, code=code, detail=detail, reference=reference, created_at=at)
    )
    return True


def confirm_if_pending(order: Order, *, actor: Actor, at: datetime, reason: str) -> bool:
    if order.status != OrderStatus.PENDING.value:
        return False
    order_state.change_status(order, OrderStatus.CONFIRMED, actor=actor, at=at, reason=reason)
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
