"""``expand[]``: replace ids by the objects they name, in a copy of the response.

Paths are dotted (``payment_intent.latest_charge``); on list responses they start with
``data.``. Without ``expand`` every reference stays an id, as on Stripe.

Only the fields Stripe's OpenAPI spec marks expandable (``x-expandableFields``, generated into
``expandable_fields.py`` by ``tools/gen_expandable.py``) may be named, at every level of a path;
anything else is Stripe's 400 (``expand[]=id``, ``charge.payment_method``). An event's
``data.object`` is not expandable: the spec marks nothing below ``data``.

Some fields are *includable*: Stripe leaves them out of an object unless asked for with
``expand[]`` (``total_details.breakdown`` on a Checkout Session, ``discounts`` and ``taxes`` on its
line items). The sandbox has no discounts or taxes, so asking for them gives what Stripe gives
an object without any: empty lists.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .errors import StripeError, invalid_param
from .expandable_fields import EXPANDABLE

if TYPE_CHECKING:
    from .engine import Sandbox

MAX_DEPTH = 4

# (schema, field) -> the value an includable field has when asked for.
_INCLUDABLE: dict[tuple[str, str], Any] = {
    ("payment_pages_checkout_session_total_details", "breakdown"): {"discounts": [], "taxes": []},
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
        _expand(sb, result, parts, str(path), _schema_of(result, None))
    return result


def _schema_of(obj: dict[str, Any], declared: str | None) -> str | None:
    """A Stripe object is known by its ``object``; a nested hash by what its parent declares."""
    kind = obj.get("object")
    if isinstance(kind, str) and kind in EXPANDABLE:
        return kind
    return declared


def _refused(path: str) -> StripeError:
    return invalid_param(f"This property cannot be expanded ({path}).", "expand", code=None)


def _expand(sb: Sandbox, obj: dict[str, Any], parts: list[str], path: str, schema: str | None) -> None:
    head, rest = parts[0], parts[1:]
    if head == "data" and obj.get("object") == "list":
        obj["data"] = [dict(item) for item in obj["data"]]
        if rest:
            for item in obj["data"]:
                _expand(sb, item, rest, path, _schema_of(item, schema))
        return
    allowed = EXPANDABLE.get(schema or "", {})
    if head not in allowed:
        raise _refused(path)
    declared = allowed[head]
    if head not in obj and (schema or "", head) in _INCLUDABLE:
        if rest:
            raise _refused(path)
        obj[head] = json.loads(json.dumps(_INCLUDABLE[(schema or "", head)]))
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
            raise _refused(path)
        value = obj[head]
        if isinstance(value, str):
            target = sb.store.get(value)
            if target is None:
                raise _refused(path)
            value = dict(target)
            obj[head] = value
        elif isinstance(value, dict):
            value = dict(value)
            obj[head] = value
        elif value is not None and not isinstance(value, list):
            raise _refused(path)
    if rest and isinstance(value, dict):
        _expand(sb, value, rest, path, declared if value.get("object") == "list" else _schema_of(value, declared))
