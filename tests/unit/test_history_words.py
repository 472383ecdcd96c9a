"""The desk's words for the order history's reasons: every reason the services write for a shop's
everyday orders has words, the merchant's own words are kept, and an unknown reason is left alone."""

from __future__ import annotations

import pytest

from comptoir.domain.orders import REFUSED_BY_THE_SHOP
from comptoir.web.history_words import reason_words


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("order placed", "order placed"),
        ("pay at pickup: confirmed without online payment", "to pay at pickup: accepted without paying online"),
        ("ready for pickup", "ready: the customer was told"),
        ("collected, paid at the counter (cash)", "collected, paid at the counter in cash"),
        ("collected, paid at the counter (card_terminal)", "collected, paid at the counter by card"),
        ("paid at pickup (card_terminal), taken by merchant:3", "paid at the counter by card"),
        ("card authorised (pi_3Abc)", "card authorised: weigh, then take the payment"),
        ("paid (cs_test_a1b2)", "paid online"),
        ("checkout cs_test_a1b2 expired unpaid", "the payment page expired unpaid"),
        ("stock hold expired before payment", "not paid in time: the products were put back on sale"),
        ("payment pi_3Abc failed", "the payment failed"),
    ],
)
def test_everyday_reasons_have_words(reason: str, message: str) -> None:
    words = reason_words(reason)
    assert words is not None and words.message == message and words.values == {}


def test_the_merchants_own_words_are_kept_in_the_sentence() -> None:
    words = reason_words(f"{REFUSED_BY_THE_SHOP}plus de merguez")
    assert words is not None
    assert words.message == "refused by the shop: %(why)s" and words.values == {"why": "plus de merguez"}


def test_a_reason_without_words_is_shown_as_written() -> None:
    assert reason_words("something the table does not know") is None
