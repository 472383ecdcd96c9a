"""The payment status is derived from ledger entries, never stored as a flag."""

from __future__ import annotations

import pytest

from comptoir.domain.ledger import Attempt, Entry, EntryKind, balance, derive_status
from comptoir.domain.orders import PaymentStatus


def _pay(amount: int, ext: str = "pi_1") -> Entry:
    return Entry(EntryKind.PAYMENT, amount, "EUR", ext)


def _refund(amount: int, ext: str) -> Entry:
    return Entry(EntryKind.REFUND, amount, "EUR", ext)


def test_no_money_and_no_attempt_is_unpaid() -> None:
    assert derive_status([]) is PaymentStatus.UNPAID


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [(Attempt.PROCESSING, PaymentStatus.PROCESSING), (Attempt.FAILED, PaymentStatus.FAILED)],
)
def test_an_attempt_without_money_gives_its_own_status(attempt: Attempt, expected: PaymentStatus) -> None:
    assert derive_status([], attempt) is expected


def test_money_received_wins_over_a_stale_failed_attempt() -> None:
    # given a failed first card, then a successful one
    entries = [_pay(12500)]
    # then the order is paid, whatever the attempt flag still says
    assert derive_status(entries, Attempt.FAILED) is PaymentStatus.PAID


def test_partial_then_full_refunds() -> None:
    entries = [_pay(12500), _refund(2500, "re_1")]
    assert derive_status(entries) is PaymentStatus.PARTIALLY_REFUNDED
    assert balance(entries).refundable == 10000
    entries.append(_refund(10000, "re_2"))
    assert derive_status(entries) is PaymentStatus.REFUNDED
    assert balance(entries).refundable == 0


def test_a_failed_refund_is_reversed_and_the_order_is_paid_again() -> None:
    entries = [_pay(5000), _refund(5000, "re_1"), Entry(EntryKind.REFUND_REVERSAL, 5000, "EUR", "re_1")]
    assert derive_status(entries) is PaymentStatus.PAID
    assert balance(entries).net == 5000


def test_entries_refuse_zero_or_negative_amounts() -> None:
    with pytest.raises(ValueError):
        Entry(EntryKind.PAYMENT, 0, "EUR", "pi_1")


def test_a_refunded_duplicate_payment_leaves_the_order_paid() -> None:
    # given an order of 1000 paid twice (two PaymentIntents) and the second payment refunded
    entries = [
        Entry(EntryKind.PAYMENT, 1000, "EUR", "pi_1"),
        Entry(EntryKind.PAYMENT, 1000, "EUR", "pi_2"),
        Entry(EntryKind.REFUND, 1000, "EUR", "re_dup"),
    ]
    # when the status is derived knowing what the order costs, then it is paid, not partially refunded
    assert derive_status(entries, due=1000) is PaymentStatus.PAID
    # and a refund that eats into what the order costs is still a partial refund
    assert derive_status([*entries, Entry(EntryKind.REFUND, 300, "EUR", "re_2")], due=1000) is (
        PaymentStatus.PARTIALLY_REFUNDED
    )
