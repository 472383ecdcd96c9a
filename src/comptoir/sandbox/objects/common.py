"""Sub-objects shared by several Stripe objects."""

from __future__ import annotations

from typing import Any


def empty_address() -> dict[str, Any]:
    return {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None, "state": None}


def address_from(value: Any) -> dict[str, Any]:
    address = empty_address()
    if isinstance(value, dict):
        for key in address:
            if value.get(key):
                address[key] = value[key]
    return address


def billing_details(value: Any = None) -> dict[str, Any]:
    value = value if isinstance(value, dict) else {}
    return {
        "address": address_from(value.get("address")),
        "email": value.get("email") or None,
        "name": value.get("name") or None,
        "phone": value.get("phone") or None,
        "tax_id": None,
    }
