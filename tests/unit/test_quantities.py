"""Quantities: parsed to exact thousandths, positive, whole for pieces, at most 3 decimals for kg."""

from __future__ import annotations

from decimal import Decimal

import pytest

from comptoir.domain.catalog import Unit, check_quantity
from comptoir.domain.errors import InvalidInput
from comptoir.domain.money import milli_to_quantity, quantity_to_milli


@pytest.mark.parametrize(
    ("given", "milli"),
    [("1.250", 1250), ("0.001", 1), (2, 2000), ("2", 2000), (Decimal("0.5"), 500), ("1.2500", 1250), ("1e-3", 1)],
)
def test_quantities_parse_to_exact_thousandths(given: str | int | Decimal, milli: int) -> None:
    assert quantity_to_milli(given) == milli


@pytest.mark.parametrize("given", ["0.0005", "1.2345", "abc", "", "NaN", "Infinity", "-Infinity"])
def test_quantities_that_are_not_numbers_or_too_precise_are_refused(given: str) -> None:
    # when parsed, then refused rather than rounded away
    with pytest.raises(InvalidInput) as refused:
        quantity_to_milli(given)
    assert refused.value.code == "invalid_quantity"


def test_thousandths_read_back_with_three_decimals() -> None:
    assert milli_to_quantity(1250) == Decimal("1.250")
    assert str(milli_to_quantity(2000)) == "2.000"


@pytest.mark.parametrize(("unit", "milli"), [(Unit.PIECE, 1000), (Unit.PIECE, 3000), (Unit.KG, 1), (Unit.KG, 1255)])
def test_sensible_quantities_are_accepted(unit: Unit, milli: int) -> None:
    check_quantity(unit, milli)


@pytest.mark.parametrize(
    ("unit", "milli"), [(Unit.PIECE, 1500), (Unit.PIECE, 0), (Unit.PIECE, -1000), (Unit.KG, 0), (Unit.KG, -250)]
)
def test_fractional_pieces_and_non_positive_quantities_are_refused(unit: Unit, milli: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_quantity(unit, milli, product_name="Jantes")
    assert refused.value.code == "invalid_quantity"
    assert "Jantes" in refused.value.detail
