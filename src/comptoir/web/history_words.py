"""What the order history's reasons say, in the merchant's words and language.

The history keeps each change's reason as written when it happened (English, with the provider's
references, for the audit and the API). The desk's timeline shows the ones a shop meets every day in
words a shop owner reads, translated; a reason this table does not know is shown as it was written.
The references (`cs_…`, `pi_…`) stay on the history, not on the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from comptoir.domain.orders import REFUSED_BY_THE_SHOP
from comptoir.web.i18n import N_


@dataclass(frozen=True, slots=True)
class ReasonWords:
    """A reason as the page says it: a catalog message, and its `%(name)s` values (the merchant's
    or customer's own words, which are shown as they were written)."""

    message: str
    values: dict[str, str]


_FIXED: dict[str, str] = {
    "order placed": N_("order placed"),
    "pay at pickup: confirmed without online payment": N_("to pay at pickup: accepted without paying online"),
    "ready for pickup": N_("ready: the customer was told"),
    "handed over to the customer": N_("handed over to the customer"),
    "stock hold expired before payment": N_("not paid in time: the products were put back on sale"),
    "refunds updated": N_("refunds updated"),
    "card authorisation released": N_("the hold on the card was released"),
    "cancelled by customer": N_("cancelled by the customer"),
}

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^collected, paid at the counter \(cash\)$"), N_("collected, paid at the counter in cash")),
    (
        re.compile(r"^collected, paid at the counter \(card_terminal\)$"),
        N_("collected, paid at the counter by card"),
    ),
    (re.compile(r"^paid at pickup \(cash\)(, taken by .*)?$"), N_("paid at the counter in cash")),
    (re.compile(r"^paid at pickup \(card_terminal\)(, taken by .*)?$"), N_("paid at the counter by card")),
    (
        re.compile(r"^(card authorised \(.*\)|.*: card authorised)$"),
        N_("card authorised: weigh, then take the payment"),
    ),
    (re.compile(r"^paid \(.*\)$"), N_("paid online")),
    (re.compile(r"^checkout \S+ expired unpaid$"), N_("the payment page expired unpaid")),
    (re.compile(r"^checkout \S+ completed, payment pending$"), N_("payment on its way (bank debit)")),
    (re.compile(r"^checkout \S+: delayed payment failed$"), N_("the bank debit failed")),
    (re.compile(r"^payment \S+ failed$"), N_("the payment failed")),
    (re.compile(r"^payment \S+ canceled$"), N_("the payment was cancelled")),
    (re.compile(r"^.* paid twice$"), N_("paid twice: the second payment is refunded")),
    (re.compile(r"^.* declined$"), N_("the card was declined")),
    (re.compile(r"^.* processing$"), N_("payment being confirmed")),
)

_WITH_WORDS: tuple[tuple[str, str], ...] = (
    (REFUSED_BY_THE_SHOP, N_("refused by the shop: %(why)s")),
    ("refunded at the counter: ", N_("refunded at the counter: %(why)s")),
)


def reason_words(reason: str) -> ReasonWords | None:
    """The page's words for a history reason; None for one to show as it was written."""
    fixed = _FIXED.get(reason)
    if fixed is not None:
        return ReasonWords(fixed, {})
    for prefix, message in _WITH_WORDS:
        if reason.startswith(prefix):
            return ReasonWords(message, {"why": reason[len(prefix) :]})
    for pattern, message in _PATTERNS:
        if pattern.match(reason):
            return ReasonWords(message, {})
    return None
