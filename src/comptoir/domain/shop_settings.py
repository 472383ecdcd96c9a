"""What a shop is set up with, and the bounds each setting must keep.

Every setting is checked at once so a form can show each mistake beside its field: `check()`
raises one `InvalidInput` whose `extra["fields"]` maps a field name to a stable reason code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from comptoir.domain.errors import InvalidInput
from comptoir.domain.money import normalise_currency

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
"""Lower-case letters, digits and inner hyphens: it appears in URLs and on the command line."""

MAX_NAME = 100
"""The name is sent as the hosted payment page's display name, which the sandbox bounds at 100 characters."""
MAX_ADDRESS = 500
MAX_OPENING_HOURS = 1000
MAX_CAPTURE_MARGIN_PERCENT = 50
"""A weighed order authorises its total plus this margin at most: more would be an unreasonable hold."""
SLOT_MINUTES = (5, 240)
SLOT_CAPACITY = (1, 200)


@dataclass(frozen=True, slots=True)
class ShopSettings:
    """The editable part of a shop (the slug is its identity and is set once, at creation)."""

    name: str
    currency: str
    time_zone: str
    address: str = ""
    opening_hours: str = ""
    offers_pickup: bool = True
    offers_delivery: bool = False
    accepts_online: bool = True
    accepts_on_pickup: bool = False
    capture_manually: bool = False
    capture_margin_percent: int = 0
    pickup_slot_minutes: int = 15
    pickup_slot_capacity: int = 4

    def checked(self) -> ShopSettings:
        """These settings, trimmed and normalised; `InvalidInput` naming every field that is wrong."""
        problems: dict[str, str] = {}
        name = self.name.strip()
        if not name:
            problems["name"] = "required"
        elif len(name) > MAX_NAME:
            problems["name"] = "too_long"
        currency = self.currency
        try:
            currency = normalise_currency(self.currency)
        except InvalidInput:
            problems["currency"] = "unknown_currency"
        if not is_time_zone(self.time_zone.strip()):
            problems["time_zone"] = "unknown_time_zone"
        address = self.address.strip()
        if len(address) > MAX_ADDRESS:
            problems["address"] = "too_long"
        hours = self.opening_hours.strip()
        if len(hours) > MAX_OPENING_HOURS:
            problems["opening_hours"] = "too_long"
        if not (self.offers_pickup or self.offers_delivery):
            problems["offers_pickup"] = "pickup_or_delivery"
        if not (self.accepts_online or self.accepts_on_pickup):
            problems["accepts_online"] = "online_or_at_pickup"
        if not 0 <= self.capture_margin_percent <= MAX_CAPTURE_MARGIN_PERCENT:
            problems["capture_margin_percent"] = "out_of_range"
        if not SLOT_MINUTES[0] <= self.pickup_slot_minutes <= SLOT_MINUTES[1]:
            problems["pickup_slot_minutes"] = "out_of_range"
        if not SLOT_CAPACITY[0] <= self.pickup_slot_capacity <= SLOT_CAPACITY[1]:
            problems["pickup_slot_capacity"] = "out_of_range"
        if problems:
            raise invalid(problems)
        return ShopSettings(
            **{f.name: getattr(self, f.name) for f in fields(self)}
            | {"name": name, "currency": currency, "time_zone": self.time_zone.strip()}
            | {"address": address, "opening_hours": hours}
        )


def check_slug(slug: str) -> str:
    """The slug, or `InvalidInput` saying what shape it must have."""
    if not SLUG.match(slug):
        raise invalid(
            {"slug": "bad_slug"},
            f"{slug!r} is not a shop slug: 1 to 64 lower-case letters, digits and inner hyphens",
        )
    return slug


def is_time_zone(name: str) -> bool:
    if not name or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def invalid(problems: dict[str, str], detail: str | None = None) -> InvalidInput:
    """One refusal for several fields; the detail lists them for the API and the command line."""
    described = ", ".join(f"{field}: {reason}" for field, reason in problems.items())
    return InvalidInput(detail or f"invalid shop settings ({described})", code="invalid_shop_settings", fields=problems)
