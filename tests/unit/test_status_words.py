"""The customer pages' one table of status words covers every status of both axes, in words."""

from __future__ import annotations

from enum import StrEnum

import pytest

from comptoir.domain.orders import OrderStatus, PaymentStatus
from comptoir.web.status_words import ORDER_STATUS_WORDS, PAYMENT_STATUS_WORDS, StatusWords

TONES = {"ok", "wait", "bad", "plain"}
WORKFLOW_WORDS = {"pending", "confirmed", "unpaid", "processing", "partially refunded"}
"""Values that are the merchant's or the API's words, not something a customer is told about their order."""


@pytest.mark.parametrize(
    ("axis", "table"),
    [(OrderStatus, ORDER_STATUS_WORDS), (PaymentStatus, PAYMENT_STATUS_WORDS)],
    ids=["order", "payment"],
)
def test_every_status_has_customer_words(axis: type[StrEnum], table: dict[StrEnum, StatusWords]) -> None:
    # given every status the axis has, then each has words, none in workflow jargon, each with a known tone
    assert set(table) == set(axis)
    for status, words in table.items():
        assert words.label[:1].isupper() and "_" not in words.label, status
        assert words.label.lower() not in WORKFLOW_WORDS, status
        assert words.tone in TONES
    # and no two statuses read the same to a customer
    assert len({words.label for words in table.values()}) == len(table)
