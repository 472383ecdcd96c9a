"""Stripe's presentment currencies: which exist, their minor units, and their minimum charge.

Sources: docs.stripe.com/currencies ("Supported presentment currencies", "Zero-decimal
currencies", "Three-decimal currencies", "Minimum and maximum charge amounts"), transcribed by
hand. Amounts in the API are integers in the currency's minor unit: 1234 usd = $12.34, 1500 jpy
= ¥1,500 (no ×100), 1000 kwd = 1.000 KWD. Stripe's minimums are set per settlement currency
(the table below); a currency absent from it is charged at least the equivalent of $0.50, which
the sandbox, having no exchange rates, approximates as 50 minor units (see NOTES.md).
"""

from __future__ import annotations

from .errors import StripeError, invalid_param


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


SUPPORTED = _codes("""
    usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp byn bzd
    cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd
    hkd hnl htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr lrd lsl mad
    mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln
    pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd std szl thb tjs tnd top try ttd twd tzs
    uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar zmw
""")
ZERO_DECIMAL = _codes("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf")
THREE_DECIMAL = _codes("bhd jod kwd omr tnd")

MINIMUM_CHARGE: dict[str, int] = {
    "usd": 50,
    "aed": 200,
    "aud": 50,
    "bgn": 100,
    "brl": 50,
    "cad": 50,
    "chf": 50,
    "czk": 1500,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "hkd": 400,
    "huf": 17500,
    "inr": 50,
    "jpy": 50,
    "mxn": 1000,
    "myr": 200,
    "nok": 300,
    "nzd": 50,
    "pln": 200,
    "ron": 200,
    "sek": 300,
    "sgd": 50,
    "thb": 1000,
}
"""Minor units, from Stripe's table of minimum charge amounts."""

DEFAULT_MINIMUM_CHARGE = 50

_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹", "krw": "₩"}


def decimals(currency: str) -> int:
    currency = currency.lower()
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def minimum_charge(currency: str) -> int:
    return MINIMUM_CHARGE.get(currency.lower(), DEFAULT_MINIMUM_CHARGE)


def format_amount(amount: int, currency: str) -> str:
    """``format_amount(123456, "eur")`` → ``"€1,234.56"``, ``(1000, "jpy")`` → ``"¥1,000"``;
    unknown symbols use the ISO code."""
    places = decimals(currency)
    sign = "-" if amount < 0 else ""
    units, minor = divmod(abs(amount), 10**places)
    number = f"{units:,}" + (f".{minor:0{places}d}" if places else "")
    symbol = _SYMBOLS.get(currency.lower())
    if symbol:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number}\u00a0{currency.upper()}"


METHOD_CURRENCIES: dict[str, tuple[str, ...]] = {"sepa_debit": ("eur",)}
"""Payment method types limited to some currencies: "SEPA Direct Debit ... EUR only"."""


def method_currency_refusal(kinds: list[str], currency: str, param: str) -> StripeError | None:
    """The 400 for a payment method type that cannot be used in ``currency``, or None."""
    for kind in kinds:
        allowed = METHOD_CURRENCIES.get(kind)
        if allowed is not None and currency not in allowed:
            return invalid_param(
                f"The payment method `{kind}` cannot be used with currency `{currency}`; it requires "
                f"`{'`, `'.join(allowed)}`.",
                param,
                code=None,
            )
    return None
