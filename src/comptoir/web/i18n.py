"""Which language a page speaks, and the switch's languages.

The translations and the formats (money, times, quantities) are `comptoir.wording`'s, shared with
the e-mails; this module adds what only the pages need: the choice of a page's language and the
names on the switch.
"""

from __future__ import annotations

from collections.abc import Iterable

from comptoir.wording import LANGUAGES, LOCALE_DIR, N_, Formats, accepted_languages, browser_language, translations

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "LOCALE_DIR",
    "N_",
    "Formats",
    "accepted_languages",
    "choose_language",
    "languages_offered",
    "translations",
]

DEFAULT_LANGUAGE = LANGUAGES[0]
"""What a page speaks when neither the person nor the browser asks for a language we speak."""
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
"""Each language in its own words, for the switch."""


def choose_language(chosen: str | None, accept_language: str | None, *, saved: str | None = None) -> str:
    """The language of a page: the signed-in person's setting (`saved`, their account's), else their
    choice in this browser (the switch's cookie), else the browser's, else English."""
    for language in (saved, chosen):
        if language in LANGUAGES:
            return language
    return browser_language(accept_language) or DEFAULT_LANGUAGE


def languages_offered() -> Iterable[tuple[str, str]]:
    return ((code, LANGUAGE_NAMES[code]) for code in LANGUAGES)
