"""``expand[]``: replace ids by the objects they name, in a copy of the response.

Paths are dotted (``payment_intent.latest_charge``); on list responses they start with
``data.``. Without ``expand`` every reference stays an id, as on Stripe.

Some fields are *includable*: Stripe leaves them out of an object unless asked for with
``expand[]`` (``total_details.breakdown`` on a Checkout Session, ``discounts`` and ``taxes`` on its
line items). The sandbox has no discounts or taxes, so asking for them gives what Stripe gives
an object without any: empty lists.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .errors import invalid_param

if TYPE_CHECKING:
    from .engine import Sandbox

MAX_DEPTH = 4

# (type of the nearest enclosing object, path inside it) -> the value served when asked for.
_INCLUDABLE: dict[tuple[str, str], Any] = {
    ("checkout.session", "total_details.breakdown"): {"discounts": [], "taxes": []},
    ("item", "discounts"): [],
    ("item", "taxes"): [],
}


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
        _expand(sb, result, parts, str(path), (str(result.get("object")), ""))
    return result


def _includable(owner: tuple[str, str], head: str) -> Any:
    """The value of an includable field, or ``None`` when ``head`` is not one here."""
    owner_type, inside = owner
    value = _INCLUDABLE.get((owner_type, f"{inside}.{head}" if inside else head))
    return json.loads(json.dumps(value)) if value is not None else None


def _expand(sb: Sandbox, obj: dict[str, Any], parts: list[str], path: str, owner: tuple[str, str]) -> None:
    """``owner``: the type of the nearest enclosing Stripe object and the path from it to ``obj``."""
    head, rest = parts[0], parts[1:]
    if head == "data" and obj.get("object") == "list":
        obj["data"] = [dict(item) for item in obj["data"]]
        if rest:
            for item in obj["data"]:
                _expand(sb, item, rest, path, (str(item.get("object")), ""))
        return
    included = _includable(owner, head) if head not in obj else None
    if included is not None:
        if rest:
            raise invalid_param(f"This property cannot be expanded ({path}).", "expand", code=None)
        obj[head] = included
        return
    if head == "line_items" and obj.get("object") == "checkout.session" and not isinstance(obj.get(head), dict):
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
        if "object" in value:
            inner = (str(value["object"]), "")
        else:
            inner = (owner[0], f"{owner[1]}.{head}" if owner[1] else head)
        _expand(sb, value, rest, path, inner)
