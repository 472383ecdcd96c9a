"""Amounts as a buyer reads them: Stripe amounts are integers in the currency's minor unit.

Most currencies have two decimals (1234 usd = $12.34); Stripe's zero-decimal currencies carry
whole units (1500 jpy = ¥1,500) and a few have three decimals (1000 kwd = 1.000 KWD). Getting
this wrong shows a Japanese buyer a price a hundred times too small. The rules live in
``currencies.py`` (the API's messages need them too); the pages keep importing them from here.
"""

from __future__ import annotations

from ..currencies import THREE_DECIMAL, ZERO_DECIMAL, decimals, format_amount

__all__ = ["THREE_DECIMAL", "ZERO_DECIMAL", "decimals", "format_amount"]
