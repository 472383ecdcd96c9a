"""Money as integer minor units plus an ISO 4217 code; quantities as integer thousandths.

Never a float. The minor-unit exponent follows Stripe's list: zero-decimal currencies (JPY,
KRW, ...) have no x100, three-decimal ones (BHD, KWD, ...) have x1000. Weighted goods carry a
decimal quantity with at most 3 decimals (grams for kg); we store it as an integer count of
thousandths ("milli") so both SQLite and PostgreSQL keep it exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from comptoir.domain.errors import InvalidInput

ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
MILLI = 1000

MAX_AMOUNT = 99_999_999
"""Stripe's largest charge, eight digits of minor units: the most a price or an order's total may be."""
MAX_QUANTITY = 100_000
"""The most pieces (or kg) one order line may ask for."""
MAX_STOCK = 1_000_000_000
"""The most pieces (or kg) a product's stock may count; any quantity at all stays under it."""

MINIMUM_CHARGE: Mapping[str, int] = {
    "USD": 50,
    "AED": 200,
    "AUD": 50,
    "BGN": 100,
    "BRL": 50,
    "CAD": 50,
    "CHF": 50,
    "CZK": 1500,
    "DKK": 250,
    "EUR": 50,
    "GBP": 30,
    "HKD": 400,
    "HUF": 17500,
    "INR": 50,
    "JPY": 50,
    "MXN": 1000,
    "MYR": 200,
    "NOK": 300,
    "NZD": 50,
    "PLN": 200,
    "RON": 200,
    "SEK": 300,
    "SGD": 50,
    "THB": 1000,
}
"""Stripe's smallest charge per currency, in minor units (its "minimum charge amounts" table).

Stripe refuses a PaymentIntent or a Checkout Session below it, so an order under it can be placed
but never paid online. Other currencies: the equivalent of USD 0.50, which we approximate with
`DEFAULT_MINIMUM_CHARGE` minor units."""
DEFAULT_MINIMUM_CHARGE = 50


def exponent(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def normalise_currency(currency: str) -> str:
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise InvalidInput(f"{currency!r} is not an ISO 4217 currency code", code="invalid_currency")
    return code


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int of minor units")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency}")

    def to_decimal(self) -> Decimal:
        """The amount in major units (e.g. 1250.00 for EUR 125000), for display and legacy shapes."""
        return Decimal(self.amount).scaleb(-exponent(self.currency))

    @classmethod
    def from_major(cls, value: Decimal | int | str, currency: str) -> Money:
        """Parse a major-unit amount exactly; refuses more decimals than the currency has."""
        try:
            dec = Decimal(str(value))
        except InvalidOperation as exc:
            raise InvalidInput(f"{value!r} is not an amount") from exc
        minor = dec.scaleb(exponent(currency))
        if minor != minor.to_integral_value():
            raise InvalidInput(f"{value} has more decimals than {currency} allows", code="invalid_amount")
        return cls(int(minor), currency)

    def format(self) -> str:
        return f"{self.to_decimal():.{exponent(self.currency)}f} {self.currency}"


def minimum_charge(currency: str) -> int:
    """The smallest amount Stripe charges in `currency`, in its minor units."""
    return MINIMUM_CHARGE.get(currency.upper(), DEFAULT_MINIMUM_CHARGE)


def check_amount(amount: int, *, what: str = "amount", code: str = "amount_out_of_range") -> int:
    """An amount of minor units between 0 and MAX_AMOUNT (Stripe's largest charge)."""
    if not 0 <= amount <= MAX_AMOUNT:
        raise InvalidInput(f"{what} must be between 0 and {MAX_AMOUNT} minor units", code=code)
    return amount


def quantity_to_milli(quantity: Decimal | int | str, *, too_large: str = "quantity_out_of_range") -> int:
    """Exact thousandths of a quantity; refuses a 4th decimal instead of rounding it away, and a size no
    stock could hold (an exponent like 1e308 would otherwise reach the database or Decimal's limits),
    with the code `too_large`."""
    try:
        dec = Decimal(str(quantity))
    except InvalidOperation as exc:
        raise InvalidInput(f"{quantity!r} is not a quantity", code="invalid_quantity") from exc
    if not dec.is_finite():
        raise InvalidInput(f"{quantity!r} is not a quantity", code="invalid_quantity")
    if abs(dec) > MAX_STOCK:
        raise InvalidInput(f"quantities are at most {MAX_STOCK}", code=too_large)
    milli = dec * MILLI
    if milli != milli.to_integral_value():
        raise InvalidInput("quantities have at most 3 decimals", code="invalid_quantity")
    return int(milli)


def milli_to_quantity(milli: int) -> Decimal:
    return (Decimal(milli) / MILLI).quantize(Decimal("0.001"))


def line_total(unit_price: int, quantity_milli: int) -> int:
    """unit price x quantity, rounded half-up to the minor unit exactly once."""
    exact = Decimal(unit_price) * Decimal(quantity_milli) / MILLI
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
