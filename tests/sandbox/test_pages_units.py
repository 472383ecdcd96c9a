"""The hosted page's pure parts: amounts in minor units, Stripe-worded input checks, form tokens."""

from __future__ import annotations

import pytest

from comptoir.sandbox.pages.buyer_input import check_expiry, read_card, read_sepa
from comptoir.sandbox.pages.money import format_amount
from comptoir.sandbox.pages.tokens import FormTokens

TODAY = (2026, 11)


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (3400, "eur", "€34.00"),
        (123456, "usd", "$1,234.56"),
        (5, "gbp", "£0.05"),
        (1500, "jpy", "¥1,500"),
        (1500, "krw", "₩1,500"),
        (2500, "clp", "2,500\u00a0CLP"),
        (12345, "kwd", "12.345\u00a0KWD"),
        (990, "chf", "9.90\u00a0CHF"),
    ],
)
def test_amounts_are_shown_in_the_currency_s_own_unit(amount: int, currency: str, shown: str) -> None:
    # given an amount in minor units / when formatted / then decimals follow the currency
    assert format_amount(amount, currency) == shown


def _card(**changes: str) -> dict[str, str]:
    form = {
        "card_number": "4242 4242 4242 4242",
        "card_expiry": "12 / 34",
        "card_cvc": "123",
        "card_name": "Ann Example",
    }
    form.update(changes)
    return form


def test_a_complete_card_is_read_into_clean_values() -> None:
    # given well-formed input with spaces / when read / then digits and a four-digit year come out
    card, problems = read_card(_card(card_expiry="0734"), TODAY)
    assert problems == {}
    assert (card.number, card.exp_month, card.exp_year, card.cvc, card.name) == (
        "4242424242424242",
        7,
        2034,
        "123",
        "Ann Example",
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"card_number": "4242 4242"}, "card_number", "Your card number is incomplete."),
        ({"card_number": "4242 4242 4242 4241"}, "card_number", "Your card number is invalid."),
        ({"card_number": "4242-abcd"}, "card_number", "Your card number is invalid."),
        ({"card_expiry": "12 / 3"}, "card_expiry", "Your card's expiration date is incomplete."),
        ({"card_expiry": "13 / 30"}, "card_expiry", "Your card's expiration month is invalid."),
        ({"card_expiry": "12 / 20"}, "card_expiry", "Your card's expiration year is in the past."),
        ({"card_expiry": "10 / 26"}, "card_expiry", "Your card's expiration date is in the past."),
        ({"card_cvc": "12"}, "card_cvc", "Your card's security code is incomplete."),
        (
            {"card_number": "3782 822463 10005", "card_cvc": "123"},
            "card_cvc",
            "Your card's security code is incomplete.",
        ),
        ({"card_name": "  "}, "card_name", "Enter the name on your card."),
    ],
)
def test_bad_card_input_gets_stripe_s_wording(changes: dict[str, str], field: str, message: str) -> None:
    # given one bad field / when read / then no card and that field's message
    card, problems = read_card(_card(**changes), TODAY)
    assert card is None
    assert problems == {field: message}


def test_the_current_month_is_still_a_valid_expiry() -> None:
    assert check_expiry("11 / 26", TODAY) == ((11, 2026), {})


@pytest.mark.parametrize(
    ("iban", "message"),
    [
        ("DE89 3704", "Your IBAN is incomplete."),
        ("DE89 3704 0044 0532 0130 01", "Your IBAN is invalid."),
    ],
)
def test_bad_ibans_are_refused_before_the_engine(iban: str, message: str) -> None:
    sepa, problems = read_sepa({"iban": iban, "sepa_name": "Ann"})
    assert sepa is None and problems == {"iban": message}


def test_a_test_iban_is_read_without_spaces() -> None:
    sepa, problems = read_sepa({"iban": "de89 3704 0044 0532 0130 00", "sepa_name": "Ann"})
    assert problems == {} and sepa.iban == "DE89370400440532013000"


def test_form_tokens_bind_to_their_scope_and_their_secret() -> None:
    # given tokens from one secret
    tokens = FormTokens(b"k" * 32)
    token = tokens.issue("checkout:cs_1")
    # then they check for their own scope only, and never under another secret
    assert tokens.check("checkout:cs_1", token)
    assert not tokens.check("checkout:cs_2", token)
    assert not tokens.check("checkout:cs_1", "")
    assert not tokens.check("checkout:cs_1", None)
    assert not FormTokens(b"x" * 32).check("checkout:cs_1", token)
