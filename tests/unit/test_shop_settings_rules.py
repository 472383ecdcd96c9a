"""The bounds of a shop's settings (domain.shop_settings), without a database."""

from __future__ import annotations

import dataclasses

import pytest

from comptoir.domain.errors import InvalidInput
from comptoir.domain.shop_settings import ShopSettings, check_slug, is_time_zone

GOOD = ShopSettings(name="Boucherie", currency="EUR", time_zone="Europe/Paris")


@pytest.mark.parametrize("slug", ["a", "boucherie-dupont", "b2", "x" * 64])
def test_slugs_that_fit_urls_are_accepted(slug: str) -> None:
    assert check_slug(slug) == slug


@pytest.mark.parametrize("slug", ["", "-a", "a-", "Boucherie", "a b", "é", "x" * 65, "a/b", "../etc"])
def test_slugs_that_do_not_fit_urls_are_refused(slug: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_slug(slug)

    assert refused.value.extra["fields"] == {"slug": "bad_slug"}


@pytest.mark.parametrize("zone", ["Europe/Paris", "UTC", "America/Martinique"])
def test_known_time_zones(zone: str) -> None:
    assert is_time_zone(zone)


@pytest.mark.parametrize("zone", ["", "Europe/Atlantis", "../../etc/passwd", "/etc/localtime", " Europe/Paris"])
def test_unknown_time_zones(zone: str) -> None:
    assert not is_time_zone(zone)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "x" * 101}, "name"),
        ({"address": "x" * 501}, "address"),
        ({"opening_hours": "x" * 1001}, "opening_hours"),
        ({"capture_margin_percent": 51}, "capture_margin_percent"),
        ({"pickup_slot_minutes": 4}, "pickup_slot_minutes"),
        ({"pickup_slot_minutes": 241}, "pickup_slot_minutes"),
        ({"pickup_slot_capacity": 0}, "pickup_slot_capacity"),
        ({"accepts_online": False, "accepts_on_pickup": False}, "accepts_online"),
    ],
)
def test_each_bound_is_kept(change: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        dataclasses.replace(GOOD, **change).checked()

    assert list(refused.value.extra["fields"]) == [field]


def test_edges_are_inside_the_bounds() -> None:
    edge = dataclasses.replace(GOOD, capture_margin_percent=50, pickup_slot_minutes=240, pickup_slot_capacity=200)

    assert edge.checked() == edge
