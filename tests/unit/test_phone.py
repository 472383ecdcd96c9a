"""A phone number is kept as the counter dials it: its `+` and its digits; anything else is refused."""

from __future__ import annotations

import pytest

from comptoir.domain.errors import InvalidInput
from comptoir.domain.phone import normalise_phone


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("06 12 34 56 78", "0612345678"),
        ("+33 (0)6.12.34.56.78", "+330612345678"),
        ("+1-555-0100", "+15550100"),
        ("  123456  ", "123456"),
        ("1" * 20, "1" * 20),
    ],
)
def test_a_phone_is_kept_as_its_plus_and_its_digits(written: str, stored: str) -> None:
    assert normalise_phone(written) == stored


@pytest.mark.parametrize(
    "written",
    [
        "12345",
        "1" * 21,
        "06 12 34 56 7a",
        "33+612345678",
        "++33612345678",
        "٠٦١٢٣٤٥٦٧٨",
        "06\u200b12345678",
        "1 " * 21,
        "",
    ],
)
def test_anything_else_is_refused_as_an_invalid_phone(written: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalise_phone(written)
    assert refused.value.code == "invalid_phone"
