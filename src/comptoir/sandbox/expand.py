"""``expand[]``: replace ids by the objects they name, in a copy of the response.

Paths are dotted (``payment_intent.latest_charge``); on list responses they start with
``data.``. Without ``expand`` every reference stays an id, as on Stripe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import invalid_param

if TYPE_CHECKING:
    from .engine import Sandbox

MAX_DEPTH = 4


def expand(sb: Sandbox, obj: dict[str, Any], paths: list[Any]) -> dict[str, Any]:
    if not paths:
        return obj
    result = dict(obj)
    for path in paths:
        parts = str(path).split(".")
        if len(parts) > MAX_DEPTH:
            raise invalid_param(
                f"You cannot expand more than {MAX_DEPTH} levels of a property. Property: {path}", "expand", code=None
            )
        _expand(sb, result, parts, str(path))
    return result


def _expand(sb: Sandbox, obj: dict[str, Any], parts: list[str], path: str) -> None:
    head, rest = parts[0], parts[1:]
    if head == "data" and obj.get("object") == "list":
        obj["data"] = [dict(item) for item in obj["data"]]
        if rest:
            for item in obj["data"]:
                _expand(sb, item, rest, path)
        return
    if head == "line_items" and obj.get("object") == "checkout.session":
        items = sb.store.private.get(obj["id"], {}).get("line_items", [])
        obj["line_items"] = {
            "object": "list",
            "data": [dict(i) for i in items[:10]],
            "has_more": len(items) > 10,
            "url": f"/v1/checkout/sessions/{obj['id']}/line_items",
        }
        value = obj["line_items"]
    else:
        if head not in obj:
            raise invalid_param(f"This property cannot be expanded ({path}).", "expand", code=None)
        value = obj[head]
        if isinstance(value, str):
            target = sb.store.get(value)
            if target is None:
                raise invalid_param(f"This property cannot be expanded ({path}).", "expand", code=None)
            value = dict(target)
            obj[head] = value
        elif isinstance(value, dict):
            value = dict(value)
            obj[head] = value
        elif value is not None:
            raise invalid_param(f"This property cannot be expanded ({path}).", "expand", code=None)
    if rest and isinstance(value, dict):
        _expand(sb, value, rest, path)
