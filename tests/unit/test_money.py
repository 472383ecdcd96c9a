"""Money in integer minor units: half-up rounding once, zero- and three-decimal currencies."""

from __future__ import annotations

from decimal import Decimal

import pytest

from comptoir.domain.errors import InvalidInput
from comptoir.domain.money import (
    DEFAULT_MINIMUM_CHARGE,
    MINIMUM_CHARGE,
    Money,
    exponent,
    line_total,
    minimum_charge,
    normalise_currency,
)


@pytest.mark.parametrize(
    ("unit_price", "quantity_milli", "expected"),
    [
        (3290, 250, 823),  # 0.250 kg x 32.90 = 8.225 -> 8.23 (exactly .5 of a cent rounds up)
        (1690, 1255, 2121),  # 1.255 kg x 16.90 = 21.2095 -> 21.21
        (1999, 500, 1000),  # 999.5 -> 1000
        (1001, 500, 501),  # 500.5 -> 501 (half-up, not banker's 500... nor 502)
        (1003, 500, 502),  # 501.5 -> 502
        (3, 500, 2),  # 1.5 -> 2
        (1, 499, 0),  # 0.499 -> 0
        (1, 501, 1),  # 0.501 -> 1
        (25000, 2000, 50000),  # whole pieces are exact
        (0, 1000, 0),
    ],
)
def test_a_line_total_is_rounded_half_up_to_the_minor_unit(unit_price: int, quantity_milli: int, expected: int) -> None:
    # given a unit price in minor units and a quantity in thousandths
    # when the line is totalled, then it is rounded half-up exactly once
    assert line_total(unit_price, quantity_milli) == expected


def test_rounding_happens_once_on_the_exact_product() -> None:
    # given lines whose exact totals end in .45 and .495 of a cent
    # when totalled, then they round down: rounding to a tenth first would have carried them up
    assert line_total(3290, 105) == 345  # 0.105 kg x 32.90 = 345.45 cents
    assert line_total(1999, 505) == 1009  # 1009.495


def test_a_zero_decimal_currency_has_no_hundredths() -> None:
    # given yen, which has no minor unit
    # when amounts are parsed, totalled and formatted
    # then 1250 yen is 1250 minor units, a fraction of a yen is refused, and 1.5 kg of ¥1999 is ¥2999
    assert exponent("JPY") == 0 and exponent("krw") == 0
    assert Money.from_major("1250", "JPY") == Money(1250, "JPY")
    with pytest.raises(InvalidInput):
        Money.from_major("12.5", "JPY")
    assert Money(1250, "JPY").format() == "1250 JPY"
    assert line_total(1999, 1500) == 2999


def test_a_three_decimal_currency_has_thousandths() -> None:
    # given Kuwaiti dinars, with three decimals
    # then 1.234 KWD is 1234 fils, a fourth decimal is refused, and formatting shows three decimals
    assert exponent("KWD") == 3
    assert Money.from_major("1.234", "KWD") == Money(1234, "KWD")
    with pytest.raises(InvalidInput):
        Money.from_major("1.2345", "KWD")
    assert Money(1234, "KWD").format() == "1.234 KWD"
    assert Money(1234, "KWD").to_decimal() == Decimal("1.234")
    assert line_total(1234, 333) == 411  # 410.922 -> 411


def test_euros_have_cents_and_money_refuses_floats_and_mixed_currencies() -> None:
    assert Money.from_major("1250.00", "EUR") == Money(125000, "EUR")
    assert Money(125000, "EUR").format() == "1250.00 EUR"
    with pytest.raises(TypeError):
        Money(12.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money(1, "EUR") + Money(1, "USD")
    assert Money(100, "EUR") + Money(250, "EUR") == Money(350, "EUR")


@pytest.mark.parametrize("code", ["eur", " EUR ", "Eur"])
def test_currency_codes_are_normalised(code: str) -> None:
    assert normalise_currency(code) == "EUR"


@pytest.mark.parametrize("code", ["EU", "EURO", "E1R", ""])
def test_invalid_currency_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidInput):
        normalise_currency(code)


@pytest.mark.parametrize(
    ("currency", "minimum"), [("EUR", 50), ("usd", 50), ("GBP", 30), ("JPY", 50), ("MXN", 1000), ("HUF", 17500)]
)
def test_stripes_smallest_charge_is_known_per_currency_in_minor_units(currency: str, minimum: int) -> None:
    assert minimum_charge(currency) == minimum


def test_a_currency_missing_from_the_table_gets_the_default_minimum() -> None:
    assert "XOF" not in MINIMUM_CHARGE
    assert minimum_charge("XOF") == DEFAULT_MINIMUM_CHARGE
