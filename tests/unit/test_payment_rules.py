"""The payment rules of the domain: attempt states move forward only, what a card is asked for,
and the literal format of every idempotency key (a changed format is a double charge)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from comptoir.domain.payments import AttemptKind, AttemptState, Keys, authorised_amount, may_advance, provider_kind

S = AttemptState


def test_attempt_values_are_the_strings_stored_in_the_database() -> None:
    # given the enums / then their values are exactly what rows already hold (no migration)
    assert [s.value for s in AttemptState] == [
        "creating",
        "open",
        "processing",
        "authorized",
        "failed",
        "expired",
        "succeeded",
        "canceled",
    ]
    assert [k.value for k in AttemptKind] == ["checkout_session", "payment_intent"]
    assert AttemptState.OPEN == "open"


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.CREATING, S.OPEN),
        (S.OPEN, S.PROCESSING),
        (S.PROCESSING, S.SUCCEEDED),
        (S.PROCESSING, S.AUTHORIZED),
        (S.AUTHORIZED, S.SUCCEEDED),
        (S.AUTHORIZED, S.CANCELED),
        (S.FAILED, S.OPEN),
        (S.FAILED, S.SUCCEEDED),
        (S.OPEN, S.EXPIRED),
    ],
)
def test_an_attempt_may_move_forward_and_a_failed_one_may_reopen(current: S, target: S) -> None:
    assert may_advance(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.SUCCEEDED, S.PROCESSING),
        (S.SUCCEEDED, S.CANCELED),
        (S.PROCESSING, S.OPEN),
        (S.OPEN, S.OPEN),
        (S.FAILED, S.EXPIRED),
        (S.AUTHORIZED, S.FAILED),
        (S.EXPIRED, S.OPEN),
        (S.CANCELED, S.OPEN),
    ],
)
def test_an_attempt_never_moves_back_nor_sideways(current: S, target: S) -> None:
    assert not may_advance(current, target)


def test_may_advance_accepts_the_plain_strings_read_from_a_row() -> None:
    assert may_advance("failed", "open")
    assert not may_advance("succeeded", "processing")


@pytest.mark.parametrize(
    ("total", "manual", "percent", "asked"),
    [(1000, False, 15, 1000), (1000, True, 0, 1000), (1000, True, 15, 1150), (1003, True, 15, 1153), (1, True, 50, 2)],
)
def test_the_authorised_amount_adds_the_margin_only_when_capturing_manually(
    total: int, manual: bool, percent: int, asked: int
) -> None:
    # given a shop's capture terms / when a card payment is asked for / then the margin is added only when due
    terms = SimpleNamespace(capture_manually=manual, capture_margin_percent=percent)
    assert authorised_amount(total, terms) == asked


@pytest.mark.parametrize(
    ("object_id", "kind"),
    [
        ("pi_3Nabc", AttemptKind.PAYMENT_INTENT),
        ("cs_test_a1", AttemptKind.CHECKOUT_SESSION),
        ("counter:ord_1", None),
        ("re_1", None),
        ("", None),
    ],
)
def test_a_provider_id_tells_its_kind(object_id: str, kind: AttemptKind | None) -> None:
    assert provider_kind(object_id) is kind


def test_every_idempotency_key_format_is_pinned() -> None:
    # given an order, an attempt key and a payment method
    attempt = "order:ord_1:intent:2"
    failed_at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    # then every key is spelt exactly as before: a changed format would let a retry charge twice
    assert Keys.checkout("ord_1", 3) == "order:ord_1:checkout:3"
    assert Keys.intent("ord_1", 2) == "order:ord_1:intent:2"
    assert Keys.confirm(attempt, "pm_card") == "order:ord_1:intent:2:confirm:pm_card"
    assert (
        Keys.confirm_after_failure(attempt, "pm_card", failed_at)
        == "order:ord_1:intent:2:confirm:pm_card:after:2026-01-02T03:04:05+00:00"
    )
    assert Keys.confirm_after_action(attempt, "pm_card") == "order:ord_1:intent:2:confirm:pm_card:after-action"
    assert Keys.confirm_after_action(attempt, None) == "order:ord_1:intent:2:confirm:None:after-action"
    assert Keys.expire("order:ord_1:checkout:3") == "order:ord_1:checkout:3:expire"
    assert Keys.cancel(attempt) == "order:ord_1:intent:2:cancel"
    assert Keys.capture("ord_1", 1234) == "order:ord_1:capture:1234"
    assert Keys.refund("ord_1", 4) == "order:ord_1:refund:4"
    assert Keys.refusal_refund("ord_1") == "order:ord_1:refund:refuse"
    assert Keys.authorisation_cancel("ord_1", 2) == "order:ord_1:authorization:2:cancel"
    assert Keys.duplicate_refund("pi_9") == "payment:pi_9:duplicate-refund"
    assert Keys.cancelled_order_refund("pi_9") == "payment:pi_9:cancelled-order-refund"


def test_every_key_method_is_pinned() -> None:
    # a key added to Keys without a line above fails here
    pinned = {
        "checkout",
        "intent",
        "confirm",
        "confirm_after_failure",
        "confirm_after_action",
        "expire",
        "cancel",
        "capture",
        "refund",
        "refusal_refund",
        "authorisation_cancel",
        "duplicate_refund",
        "cancelled_order_refund",
    }
    assert {name for name in vars(Keys) if not name.startswith("_")} == pinned
