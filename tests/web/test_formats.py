"""Babel's formats as the pages use them: money, quantities with units, times in the shop's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from comptoir.web.i18n import Formats

PARIS = ZoneInfo("Europe/Paris")
NBSP, NNBSP = "\u00a0", "\u202f"
"""Babel writes a no-break space before the euro sign, and a narrow one between thousands (and before kg)."""


@pytest.mark.parametrize(
    ("language", "amount", "currency", "expected"),
    [
        ("fr", 125000, "EUR", f"1{NNBSP}250,00{NBSP}€"),
        ("en", 125000, "EUR", "€1,250.00"),
        ("fr", 5, "EUR", f"0,05{NBSP}€"),
        ("en", 1250, "JPY", "¥1,250"),  # zero-decimal: 1250 minor units are 1250 yen
        ("fr", 1250, "KWD", f"1,250{NBSP}KWD"),  # three decimals
    ],
)
def test_money_is_written_the_locales_way(language: str, amount: int, currency: str, expected: str) -> None:
    assert Formats(language, PARIS).money(amount, currency) == expected


@pytest.mark.parametrize(
    ("language", "quantity", "unit", "expected"),
    [
        ("fr", "0.750", "kg", f"0,750{NNBSP}kg"),
        ("en", "0.750", "kg", "0.750 kg"),
        ("fr", "2.000", "piece", "2 pièces"),
        ("en", "2.000", "piece", "2 pieces"),
        ("fr", "1.000", "piece", "1 pièce"),
        ("en", "1.000", "piece", "1 piece"),
        ("fr", "1250.000", "piece", f"1{NNBSP}250 pièces"),
    ],
)
def test_quantities_spell_their_unit_out(language: str, quantity: str, unit: str, expected: str) -> None:
    assert Formats(language, PARIS).quantity(Decimal(quantity), unit) == expected


def test_times_and_days_are_the_shops_not_utc() -> None:
    # given a moment at 23:30 UTC on 5 December: in Paris it is already 00:30 on the 6th
    moment = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)
    assert Formats("fr", PARIS).time(moment) == "00:30"
    assert Formats("en", PARIS).time(moment) == f"12:30{NNBSP}AM"
    assert Formats("fr", PARIS).date(moment) == "dimanche 6 décembre 2026"
    assert Formats("en", PARIS).date(date(2026, 12, 5)) == "Saturday, December 5, 2026"
