"""The shop set-up form: what a posted form says as `ShopSettings`, and each refusal in a merchant's words.

The domain names a wrong field with a reason code (`domain.shop_settings`); this module gives the
sentence shown beside the field. Numbers that are not numbers never reach the service: they are
refused here, beside their field, like the domain's own refusals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import available_timezones

from comptoir.domain.shop_settings import (
    MAX_CAPTURE_MARGIN_PERCENT,
    SLOT_CAPACITY,
    SLOT_MINUTES,
    ShopSettings,
)
from comptoir.web.i18n import N_

MAX_FIELD = 2000
"""A posted value longer than this is cut before it is checked (the domain's bounds are shorter)."""

TEXT_FIELDS = ("name", "address", "opening_hours", "time_zone")
FLAGS = ("offers_pickup", "offers_delivery", "accepts_online", "accepts_on_pickup", "capture_manually")
NUMBERS = ("capture_margin_percent", "pickup_slot_minutes", "pickup_slot_capacity")

REASONS: dict[str, str] = {
    "required": N_("Fill this in."),
    "too_long": N_("This is too long."),
    "unknown_currency": N_("Write a currency code such as EUR."),
    "fixed": N_("The currency cannot change: the prices are in it."),
    "unknown_time_zone": N_("Choose a time zone from the list."),
    "pickup_or_delivery": N_("Offer pickup, delivery or both."),
    "online_or_at_pickup": N_("Take payment online, at pickup or both."),
    "not_a_number": N_("Write a whole number."),
    "bad_slug": N_("Lower-case letters, digits and hyphens only, e.g. boucherie-dupont."),
    "taken": N_("Another shop already has this short name."),
    "unknown": N_("No merchant account has this email. Create it with comptoir create-user."),
}
"""What a merchant reads beside a field, by the reason code the domain or the form gives."""

RANGES: dict[str, tuple[int, int]] = {
    "capture_margin_percent": (0, MAX_CAPTURE_MARGIN_PERCENT),
    "pickup_slot_minutes": SLOT_MINUTES,
    "pickup_slot_capacity": SLOT_CAPACITY,
}
OUT_OF_RANGE = N_("Between %(low)s and %(high)s.")


@dataclass(frozen=True, slots=True)
class ShopForm:
    """A filled form: what was typed (shown again when refused) and the problems by field."""

    values: Mapping[str, object]
    problems: Mapping[str, str] = field(default_factory=dict)
    settings: ShopSettings | None = None

    def refused(self, problems: Mapping[str, str]) -> ShopForm:
        return ShopForm(self.values, {**self.problems, **problems}, None)


def blank(settings: ShopSettings) -> ShopForm:
    """The form filled with the shop's current settings."""
    return ShopForm({name: getattr(settings, name) for name in (*TEXT_FIELDS, *FLAGS, *NUMBERS)})


def read(form: Mapping[str, str], *, currency: str) -> ShopForm:
    """The settings a posted form asks for; `settings` is None when a number is not a number."""
    values: dict[str, object] = {name: str(form.get(name, ""))[:MAX_FIELD] for name in TEXT_FIELDS}
    values |= {name: name in form for name in FLAGS}
    problems: dict[str, str] = {}
    numbers: dict[str, int] = {}
    for name in NUMBERS:
        typed = str(form.get(name, "")).strip()[:MAX_FIELD]
        values[name] = typed
        try:
            numbers[name] = int(typed)
        except ValueError:
            problems[name] = "not_a_number"
    if problems:
        return ShopForm(values, problems)
    settings = ShopSettings(currency=currency, **values | numbers)  # type: ignore[arg-type]
    return ShopForm(values, {}, settings)


def reason_words(field_name: str, reason: str) -> tuple[str, dict[str, int]]:
    """The untranslated sentence for a refused field, and its placeholders."""
    if reason == "out_of_range" and field_name in RANGES:
        low, high = RANGES[field_name]
        return OUT_OF_RANGE, {"low": low, "high": high}
    return REASONS.get(reason, REASONS["required"]), {}


@cache
def time_zones() -> tuple[str, ...]:
    """Every IANA zone a shop may choose, Area/City names only (no legacy aliases such as `EST5EDT`)."""
    return tuple(sorted(zone for zone in available_timezones() if "/" in zone and not zone.startswith("Etc/")))
