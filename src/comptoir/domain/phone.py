"""A customer's phone number, as the shop's counter dials it.

People write numbers their own way (`06 12 34 56 78`, `+33 (0)6.12.34.56.78`, `+1-555-0100`):
digits, one optional leading `+`, and spaces, dots, dashes and parentheses between them. Between
6 and 20 digits (a short local number to the longest international one). It is kept as the `+`
and the digits only, so two ways of writing one number are one number; anything else is refused
(`invalid_phone`) rather than guessed at.
"""

from __future__ import annotations

import re

from comptoir.domain.errors import InvalidInput

MIN_DIGITS = 6
MAX_DIGITS = 20
MAX_LENGTH = 40
"""What a person may type, separators included (the stored number is at most 21 characters)."""
_WRITTEN = re.compile(r"\+?[0-9 .()\-]+")


def normalise_phone(written: str) -> str:
    """`written` as `+` (if it began with one) and its digits; InvalidInput `invalid_phone` otherwise."""
    text = written.strip()
    if len(text) > MAX_LENGTH or not _WRITTEN.fullmatch(text):
        raise _invalid()
    digits = "".join(char for char in text if "0" <= char <= "9")
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise _invalid()
    return ("+" if text.startswith("+") else "") + digits


def _invalid() -> InvalidInput:
    return InvalidInput(
        f"a phone number is {MIN_DIGITS} to {MAX_DIGITS} digits, with an optional leading + and spaces, dots, "
        "dashes or parentheses between them",
        code="invalid_phone",
    )
