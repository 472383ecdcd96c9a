"""Amounts as a buyer reads them: Stripe amounts are integers in the currency's minor unit.

Most currencies have two decimals (1234 usd = $12.34); Stripe's zero-decimal currencies carry
whole units (1500 jpy = ¥1,500) and a few have three decimals (1000 kwd = 1.000 KWD). Getting
this wrong shows a Japanese buyer a price a hundred times too small.
"""

from __future__ import annotations

ZERO_DECIMAL = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹", "krw": "₩"}


def decimals(currency: str) -> int:
    currency = currency.lower()
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def format_amount(amount: int, currency: str) -> str:
    """``format_amount(123456, "eur")`` → ``"€1,234.56"``; unknown symbols use the ISO code."""
    places = decimals(currency)
    sign = "-" if amount < 0 else ""
    units, minor = divmod(abs(amount), 10**places)
    number = f"{units:,}" + (f".{minor:0{places}d}" if places else "")
    symbol = _SYMBOLS.get(currency.lower())
    if symbol:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number}\u00a0{currency.upper()}"
