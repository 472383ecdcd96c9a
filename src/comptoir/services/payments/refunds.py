"""Refunds flowing into the ledger, whoever made them (comptoir, or someone in the Stripe Dashboard).

Refund events arrive late, twice, or out of order (a `refund.failed` before the
`refund.created` that preceded it), so their snapshots are not trusted: the handler re-reads
the PaymentIntent's refunds from the provider and brings the ledger in line with them. A refund
is recorded once, keyed by its id, as soon as it counts (pending or succeeded, as Stripe's
balance sees it); if a counted refund later fails, a reversal entry with the same id puts the
money back on the order's side.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from comptoir.domain.actors import Actor
from comptoir.domain.ledger import EntryKind
from comptoir.services.payments import ledger
from comptoir.services.payments.provider import Refund
from comptoir.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class RefundSync:
    order_id: str | None
    recorded: tuple[str, ...] = ()
    reversed: tuple[str, ...] = ()
    payment_status: str | None = None

    @property
    def outcome(self) -> str:
        if self.order_id is None:
            return "not_ours"
        return "changed" if self.recorded or self.reversed else "unchanged"


def sync_refunds(
    uow: UnitOfWork, payment_intent_id: str, refunds: Iterable[Refund], *, actor: Actor, now: datetime
) -> RefundSync:
    """Make the ledger agree with the provider's current list of refunds for one PaymentIntent."""
    order_id = uow.payments.order_id_for_payment(payment_intent_id)
    order = uow.orders.get_for_update(order_id) if order_id else None
    if order is None:
        return RefundSync(None)
    source = actor.source
    recorded: list[str] = []
    reversed_: list[str] = []
    for refund in refunds:
        counted = uow.payments.entry(EntryKind.REFUND.value, refund.id) is not None
        if refund.counts and not counted:
            kind, reason = EntryKind.REFUND, refund.reason or ""
        elif refund.status in {"failed", "canceled"} and counted:
            kind, reason = EntryKind.REFUND_REVERSAL, f"refund {refund.status}"
        else:
            continue
        written = ledger.record_entry(
            uow, order, kind, amount=refund.amount, external_id=refund.id, source=source, at=now, reason=reason
        )
        if written:
            (recorded if kind is EntryKind.REFUND else reversed_).append(refund.id)
    status = order.payment_status
    if recorded or reversed_:
        status = ledger.sync_payment_status(uow, order, actor=actor, at=now, reason="refunds updated").value
    return RefundSync(order.id, tuple(recorded), tuple(reversed_), status)
