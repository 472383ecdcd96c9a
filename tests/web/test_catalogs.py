"""The French catalog is complete, up to date with the pages' texts, and keeps every placeholder."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from comptoir.web.i18n import LANGUAGES, LOCALE_DIR, translations

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _catalog(language: str):  # type: ignore[no-untyped-def]
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


def _texts_in_the_sources() -> set[str]:
    with (LOCALE_DIR / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _, _, message, *_ in extract_from_dir(
        ROOT,
        method_map,
        options_map,
        keywords={"N_": None, "_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)},
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_text_of_the_pages_is_in_the_catalog_and_nothing_stale() -> None:
    # (run `make translations` and translate the new entries when this fails)
    in_catalog = {
        message.id[0] if isinstance(message.id, tuple) else message.id for message in _catalog("fr") if message.id
    }
    assert _texts_in_the_sources() == in_catalog


def test_every_french_text_is_translated_and_keeps_its_placeholders() -> None:
    for message in _catalog("fr"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"not translated: {ids[0]!r}"
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == set(PLACEHOLDER.findall(ids[-1])), ids[0]
        assert not message.fuzzy, f"fuzzy: {ids[0]!r}"


def test_the_catalogs_compile_when_the_process_starts() -> None:
    assert translations("fr").gettext("Sign in") == "Se connecter"
    assert translations("en").gettext("Sign in") == "Sign in"  # English is the source text
    assert set(LANGUAGES) == {"en", "fr"}
