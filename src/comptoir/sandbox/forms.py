"""Decode Stripe's form encoding (``a[b][0][c]=v``) into nested dicts and lists.

The SDK sends lists as ``key[0]``, ``key[1]``; curl users send ``key[]``. Both become lists.
Dicts whose keys are all digits become lists too, except under ``metadata`` where keys are
the merchant's own strings.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_KEY_PART = re.compile(r"\[([^\]]*)\]")


def _split_key(key: str) -> list[str]:
    head, bracket, rest = key.partition("[")
    if not bracket:
        return [key]
    return [head, *_KEY_PART.findall("[" + rest)]


def _listify(value: Any, free_form: bool = False) -> Any:
    if isinstance(value, dict):
        converted = {k: _listify(v, free_form or k == "metadata") for k, v in value.items()}
        if converted and not free_form and all(k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    if isinstance(value, list):
        return [_listify(v, free_form) for v in value]
    return value


def decode_form(raw: str | bytes) -> dict[str, Any]:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    result: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        parts = _split_key(key)
        node: Any = result
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            nxt = None if last else parts[index + 1]
            if part == "":
                if not isinstance(node, list):
                    break
                if last:
                    node.append(value)
                else:
                    node.append([] if nxt == "" else {})
                    node = node[-1]
                continue
            if not isinstance(node, dict):
                break
            if last:
                node[part] = value
            else:
                existing = node.get(part)
                if not isinstance(existing, (dict, list)):
                    existing = [] if nxt == "" else {}
                    node[part] = existing
                node = existing
    return _listify(result)
