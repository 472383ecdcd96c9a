"""Numbers typed on a counter's keypad, parsed once for every page: digits, and up to three decimals
after a point or a comma (a French keypad types `0,750`)."""

from __future__ import annotations

import re
from decimal import Decimal

from comptoir.domain.errors import InvalidInput

NUMBER = re.compile(r"^\d{1,7}(?:[.,]\d{1,3})?$")


def keypad_number(value: str, code: str) -> Decimal:
    """The number typed; InvalidInput with `code` for anything else."""
    text = value.strip()
    if not NUMBER.match(text):
        raise InvalidInput(f"{text[:20]!r} is not a number", code=code)
    return Decimal(text.replace(",", "."))
