"""Stripe list objects: newest first, ``limit`` (1–100, default 10), cursors, ``has_more``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .errors import invalid_param, resource_missing
from .params import Params


def paginate(
    items: Iterable[dict[str, Any]], params: Params, url: str, seq_of: Callable[[str], int | None], object_name: str
) -> dict[str, Any]:
    """Page through ``items`` given newest first (descending ``seq``)."""
    limit = params.int("limit", 10)
    if not 1 <= limit <= 100:
        raise invalid_param("Invalid limit: must be between 1 and 100", "limit", code="parameter_invalid_integer")
    starting_after = params.str("starting_after")
    ending_before = params.str("ending_before")
    if starting_after and ending_before:
        raise invalid_param(
            "You may only specify one of these parameters: ending_before, starting_after.", "ending_before", code=None
        )
    if starting_after:
        cursor = seq_of(starting_after)
        if cursor is None:
            raise resource_missing(object_name, starting_after, param="starting_after", status=400)
        page: list[dict[str, Any]] = []
        has_more = False
        for item in items:
            if _stored_seq(seq_of, item["id"]) < cursor:
                if len(page) == limit:
                    has_more = True
                    break
                page.append(item)
    elif ending_before:
        cursor = seq_of(ending_before)
        if cursor is None:
            raise resource_missing(object_name, ending_before, param="ending_before", status=400)
        newer = [item for item in items if _stored_seq(seq_of, item["id"]) > cursor]
        has_more = len(newer) > limit
        page = newer[-limit:]
    else:
        page = []
        has_more = False
        for item in items:
            if len(page) == limit:
                has_more = True
                break
            page.append(item)
    return {"object": "list", "data": page, "has_more": has_more, "url": url}


def paginate_in_order(items: list[dict[str, Any]], params: Params, url: str) -> dict[str, Any]:
    """Page through a fixed, ordered sub-list (e.g. a session's line items) by position."""
    limit = params.int("limit", 10)
    if not 1 <= limit <= 100:
        raise invalid_param("Invalid limit: must be between 1 and 100", "limit", code="parameter_invalid_integer")
    ids = [item["id"] for item in items]
    starting_after = params.str("starting_after")
    ending_before = params.str("ending_before")
    if starting_after:
        if starting_after not in ids:
            raise resource_missing("item", starting_after, param="starting_after", status=400)
        start = ids.index(starting_after) + 1
        page = items[start : start + limit]
        has_more = start + limit < len(items)
    elif ending_before:
        if ending_before not in ids:
            raise resource_missing("item", ending_before, param="ending_before", status=400)
        end = ids.index(ending_before)
        page = items[max(0, end - limit) : end]
        has_more = end - limit > 0
    else:
        page = items[:limit]
        has_more = len(items) > limit
    return {"object": "list", "data": page, "has_more": has_more, "url": url}


def _stored_seq(seq_of: Callable[[str], int | None], object_id: str) -> int:
    """The items come from the store, so each has a sequence number (only a cursor may name nothing)."""
    seq = seq_of(object_id)
    assert seq is not None, object_id
    return seq
