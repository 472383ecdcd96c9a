"""The words comptoir writes to people, pages and e-mails alike: the languages it speaks, their
translations, and how it writes money, dates, times and quantities in each.

The pages (`web.i18n`) and the e-mails (`services.messages`) both use this module, so a receipt
and the order's page say the same thing the same way. It sits below the services and above the
domain (it reads `domain.money` for a currency's decimals), and imports nothing else of comptoir.

Translations are the gettext catalogs in `web/locale/<lang>/LC_MESSAGES/messages.po`, one per
language for the pages and the e-mails (`make translations` collects the texts of both). They
are compiled in memory the first time a language is used, so there is no `.mo` file to build or
to forget: the committed `.po` is the only source. English is the source text.

Money goes through Babel for the language (`1 250,00 €` in French, with the narrow no-break space
Babel writes between thousands), times in the shop's time zone, quantities with their unit spelled out.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Final

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations
from babel.units import format_unit

from comptoir.domain.money import exponent

LANGUAGES = ("en", "fr")
"""The languages comptoir speaks (a user's `locale` is one of them, or None)."""
SOURCE_LANGUAGE = "en"
"""The language the texts are written in; the catalogs translate them."""
DEFAULT_MESSAGE_LANGUAGE: Final = "fr"
"""The e-mails' language for someone who chose none, unless `COMPTOIR_DEFAULT_LANGUAGE` says another."""
LOCALE_DIR = Path(__file__).parent / "web" / "locale"
"""The catalogs stay beside the pages, where translators and `make translations` always found them."""
MAX_ACCEPT_LANGUAGE = 512
"""Longer headers are ignored rather than parsed (a browser sends a few dozen characters)."""


def N_(message: str) -> str:
    """Marks a module-level text for translation; it is translated where it is written out."""
    return message


def spoken(language: str | None) -> str | None:
    """`language` if comptoir speaks it, else None."""
    return language if language in LANGUAGES else None


def accepted_languages(header: str) -> list[str]:
    """The primary language tags of an Accept-Language header, most wanted first (`q=0` means never)."""
    if len(header) > MAX_ACCEPT_LANGUAGE:
        return []
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary and primary != "*" and 0 < quality <= 1:
            weighted.append((-quality, position, primary))
    return [primary for _, _, primary in sorted(weighted)]


def browser_language(accept_language: str | None) -> str | None:
    """The language a browser wants most among those comptoir speaks, or None if it names none of them."""
    for language in accepted_languages(accept_language or ""):
        if language in LANGUAGES:
            return language
    return None


@cache
def translations(language: str) -> NullTranslations:
    """The language's catalog, compiled from its `.po` once per process (English is the source text)."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language not in LANGUAGES or not po.exists():
        return NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


class Formats:
    """Babel's formats for one language and one time zone, and the language's translations: what the
    templates' filters and the e-mails call."""

    def __init__(self, language: str, zone: tzinfo) -> None:
        try:
            self.locale = Locale.parse(language)
        except (UnknownLocaleError, ValueError):
            self.locale = Locale.parse(SOURCE_LANGUAGE)
        self.language = language
        self.zone = zone
        self._translations = translations(language)

    def _(self, message: str, **values: object) -> str:
        """`message` in this language, its `%(name)s` placeholders filled with `values`."""
        text = self._translations.gettext(message)
        return text % values if values else text

    def money(self, amount: int, currency: str) -> str:
        """Integer minor units as the locale writes them: `1 250,00 €`, `€1,250.00`, `¥1,250`."""
        value = Decimal(int(amount)).scaleb(-exponent(currency))
        return str(format_currency(value, currency.upper(), locale=self.locale, currency_digits=True))

    def quantity(self, quantity: Decimal, unit: str) -> str:
        """A line's quantity with its unit spelled out: `0,750 kg`, `2 pièces`, `1 piece`."""
        if unit == "kg":
            return str(format_unit(quantity, "mass-kilogram", length="short", format="#,##0.000", locale=self.locale))
        count = quantity.normalize()
        text = self._translations.ngettext("%(count)s piece", "%(count)s pieces", int(count))
        return text % {"count": format_decimal(count, locale=self.locale)}

    def time(self, moment: datetime) -> str:
        """Hours and minutes in the shop's time zone (`14:05`, `2:05 PM`)."""
        return str(format_time(moment, format="short", tzinfo=self.zone, locale=self.locale))

    def date(self, day: date | datetime) -> str:
        """The day in words (`samedi 5 décembre 2026`); a moment is first put in the shop's time zone."""
        if isinstance(day, datetime):
            day = day.astimezone(self.zone).date()
        return str(format_date(day, format="full", locale=self.locale))

    def datetime(self, moment: datetime) -> str:
        """The day and the time to the minute in the shop's time zone (`13 déc. 2026, 09:33`,
        `Dec 13, 2026, 9:33 AM`): seconds mean nothing to a shop."""
        day = format_date(moment.astimezone(self.zone).date(), format="medium", locale=self.locale)
        pattern = str(self.locale.datetime_formats["medium"]).replace("'", "")
        return pattern.replace("{1}", str(day)).replace("{0}", self.time(moment))

    def keypad(self, value: Decimal) -> str:
        """A number as this language types it on a keypad, without grouping (`21,50`, `21.50`)."""
        return str(format_decimal(value, format="0.00#", locale=self.locale))

    def number(self, value: Decimal | int) -> str:
        return str(format_decimal(value, locale=self.locale))
