"""Money as integer minor units plus an ISO 4217 code; quantities as integer thousandths.

Never a float. The minor-unit exponent follows Stripe's list: zero-decimal currencies (JPY,
KRW, ...) have no x100, three-decimal ones (BHD, KWD, ...) have x1000. Weighted goods carry a
decimal quantity with at most 3 decimals (grams for kg); we store it as an integer count of
thousandths ("milli") so both SQLite and PostgreSQL keep it exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from comptoir.domain.errors import InvalidInput

ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
MILLI = 1000


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


def quantity_to_milli(quantity: Decimal | int | str) -> int:
    """Exact thousandths of a quantity; refuses a 4th decimal instead of rounding it away."""
    try:
        dec = Decimal(str(quantity))
    except InvalidOperation as exc:
        raise InvalidInput(f"{quantity!r} is not a quantity", code="invalid_quantity") from exc
    milli = dec * MILLI
    if not dec.is_finite() or milli != milli.to_integral_value():
        raise InvalidInput("quantities have at most 3 decimals", code="invalid_quantity")
    return int(milli)


def milli_to_quantity(milli: int) -> Decimal:
    return (Decimal(milli) / MILLI).quantize(Decimal("0.001"))


def line_total(unit_price: int, quantity_milli: int) -> int:
    """unit price x quantity, rounded half-up to the minor unit exactly once."""
    exact = Decimal(unit_price) * Decimal(quantity_milli) / MILLI
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
