"""The append-only payment ledger and the payment status derived from it.

Money that moved is recorded as entries, never as a mutable "paid" flag: a payment (+), a
refund (-), and a refund reversal (+, when a refund that counted later fails). Each entry
names the provider object it came from (`external_id`: a PaymentIntent, refund, or counter
payment id); the database keeps `(kind, external_id)` unique, so recording the same object
twice (a duplicate webhook racing the success page) is a no-op rather than double money.

Payment status is then a pure function of the entries plus what is known about an attempt
in flight (a delayed debit processing, a last attempt that failed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from comptoir.domain.orders import PaymentStatus


class EntryKind(StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"
    REFUND_REVERSAL = "refund_reversal"


class Attempt(StrEnum):
    """What is known about the latest payment attempt that has not moved money (yet)."""

    NONE = "none"
    PROCESSING = "processing"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Entry:
    kind: EntryKind
    amount: int  # always positive; the kind gives the sign
    currency: str
    external_id: str

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError("ledger entries carry a positive amount; the kind gives the direction")


@dataclass(frozen=True, slots=True)
class Balance:
    paid: int
    refunded: int

    @property
    def net(self) -> int:
        return self.paid - self.refunded

    @property
    def refundable(self) -> int:
        return max(self.net, 0)


def balance(entries: Iterable[Entry]) -> Balance:
    paid = refunded = 0
    for entry in entries:
        if entry.kind is EntryKind.PAYMENT:
            paid += entry.amount
        elif entry.kind is EntryKind.REFUND:
            refunded += entry.amount
        else:
            refunded -= entry.amount
    return Balance(paid=paid, refunded=refunded)


def derive_status(entries: Iterable[Entry], attempt: Attempt = Attempt.NONE, due: int | None = None) -> PaymentStatus:
    """The payment axis of an order, from the money that moved and the attempt in flight.

    `due` is what the order costs: when more than that was paid (a duplicate payment) and the
    surplus was refunded, the order is still simply paid, not "partially refunded".
    """
    bal = balance(entries)
    if bal.paid > 0:
        if bal.refunded <= 0 or (due is not None and bal.refunded < bal.paid and bal.net >= due):
            return PaymentStatus.PAID
        if bal.refunded >= bal.paid:
            return PaymentStatus.REFUNDED
        return PaymentStatus.PARTIALLY_REFUNDED
    if attempt is Attempt.PROCESSING:
        return PaymentStatus.PROCESSING
    if attempt is Attempt.FAILED:
        return PaymentStatus.FAILED
    return PaymentStatus.UNPAID
