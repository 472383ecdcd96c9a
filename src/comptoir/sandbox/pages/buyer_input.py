"""What the buyer typed on the hosted page, checked the way Stripe's own fields check it.

Stripe's payment form refuses incomplete or impossible input before anything is charged, with
short messages next to the field ("Your card number is incomplete."). Doing the same here
keeps those mistakes out of the engine, which then only ever sees card-level outcomes
(declines, 3-D Secure). Each reader returns the clean value and a ``{field: message}`` dict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..cards import brand_of, iban_ok, luhn_ok, normalise_iban

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class CardInput:
    number: str
    exp_month: int
    exp_year: int
    cvc: str
    name: str


@dataclass(frozen=True)
class SepaInput:
    iban: str
    name: str


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def check_email(email: str) -> dict[str, str]:
    if not email:
        return {"email": "Enter your email address."}
    if not _EMAIL.match(email):
        return {"email": "Your email address is invalid."}
    return {}


def check_number(raw: str) -> tuple[str, dict[str, str]]:
    number = digits_of(raw)
    if raw and re.search(r"[^\d\s-]", raw):
        return number, {"card_number": "Your card number is invalid."}
    brand = brand_of(number) if number else "unknown"
    expected = 15 if brand == "amex" else 16
    if len(number) >= 13 and luhn_ok(number):
        return number, {}
    if len(number) < expected:
        return number, {"card_number": "Your card number is incomplete."}
    return number, {"card_number": "Your card number is invalid."}


def check_expiry(raw: str, today: tuple[int, int]) -> tuple[tuple[int, int] | None, dict[str, str]]:
    """``raw`` is ``MM / YY`` (any separator, ``YYYY`` accepted); ``today`` is ``(year, month)``."""
    digits = digits_of(raw)
    if len(digits) not in (4, 6):
        return None, {"card_expiry": "Your card's expiration date is incomplete."}
    month, year = int(digits[:2]), int(digits[2:])
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        return None, {"card_expiry": "Your card's expiration month is invalid."}
    if year < today[0]:
        return None, {"card_expiry": "Your card's expiration year is in the past."}
    if (year, month) < today:
        return None, {"card_expiry": "Your card's expiration date is in the past."}
    if year > today[0] + 50:
        return None, {"card_expiry": "Your card's expiration year is invalid."}
    return (month, year), {}


def check_cvc(raw: str, number: str) -> tuple[str, dict[str, str]]:
    cvc = (raw or "").strip()
    wanted = 4 if number and brand_of(number) == "amex" else 3
    if not cvc.isdigit() or len(cvc) < wanted:
        return cvc, {"card_cvc": "Your card's security code is incomplete."}
    if len(cvc) > wanted:
        return cvc, {"card_cvc": "Your card's security code is invalid."}
    return cvc, {}


def read_card(form: dict[str, str], today: tuple[int, int]) -> tuple[CardInput | None, dict[str, str]]:
    problems: dict[str, str] = {}
    number, found = check_number(form.get("card_number", ""))
    problems.update(found)
    expiry, found = check_expiry(form.get("card_expiry", ""), today)
    problems.update(found)
    cvc, found = check_cvc(form.get("card_cvc", ""), number)
    problems.update(found)
    name = (form.get("card_name") or "").strip()
    if not name:
        problems["card_name"] = "Enter the name on your card."
    if problems or expiry is None:
        return None, problems
    return CardInput(number, expiry[0], expiry[1], cvc, name), {}


def read_sepa(form: dict[str, str]) -> tuple[SepaInput | None, dict[str, str]]:
    problems: dict[str, str] = {}
    iban = normalise_iban(form.get("iban", ""))
    if len(iban) < 15:
        problems["iban"] = "Your IBAN is incomplete."
    elif not iban_ok(iban):
        problems["iban"] = "Your IBAN is invalid."
    name = (form.get("sepa_name") or "").strip()
    if not name:
        problems["sepa_name"] = "Enter the account holder's name."
    if problems:
        return None, problems
    return SepaInput(iban, name), {}
