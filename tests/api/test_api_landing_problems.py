"""The landing pages' problem page speaks to the customer: no ids, codes or provider messages."""

from __future__ import annotations

import re

import pytest

from comptoir.web import pages
from tests.api.support import Api


@pytest.mark.parametrize(
    ("path", "status", "words", "developer_words"),
    [
        ("/checkout/success?session_id=", 400, pages.INCOMPLETE_LINK, "session_id"),
        ("/checkout/success?session_id=cs_test_unknown", 503, pages.PAYMENT_SERVICE_DOWN, "STRIPE_SECRET_KEY"),
        ("/checkout/cancel?order_id=ord_unknown", 404, pages.UNKNOWN_ORDER, "ord_unknown"),
        ("/panier?order_id=ord_unknown", 404, pages.UNKNOWN_ORDER, "no order"),
    ],
)
def test_a_landing_that_cannot_show_an_order_says_so_in_the_customers_words(
    api: Api, path: str, status: int, words: str, developer_words: str
) -> None:
    # when a customer opens a landing link that is incomplete, unknown, or while payments are down
    # (this app has no Stripe key: the provider cannot be reached)
    response = api.client.get(path)
    # then the page says what to do, in their words, without the developer's detail
    assert response.status_code == status
    assert words in response.text
    # (the language switch's links keep the page's own address, so only the text a person reads counts)
    assert developer_words not in re.sub(r"<[^>]*>", " ", response.text)
