"""RFC 9457 problem+json responses: the one mapper from our exceptions to HTTP."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from comptoir.api.problems_doc import PROBLEM_JSON, with_refusals_of_any_route
from comptoir.domain import errors

__all__ = ["PROBLEM_JSON", "install", "problem", "status_for", "validation_code", "validation_fields"]

_STATUS_BY_KIND: tuple[tuple[type[errors.ComptoirError], int], ...] = (
    (errors.InvalidInput, 422),
    (errors.Unauthenticated, 401),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.PaymentRequired, 402),
    (errors.UpstreamUnavailable, 503),
    (errors.TooManyAttempts, 429),
)

RANGE_ERRORS = frozenset(
    {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "decimal_max_digits", "decimal_max_places"}
)
"""Pydantic error types that mean "a number outside its bounds"."""

RANGE_CODES: Mapping[str, str] = {
    "quantity": "quantity_out_of_range",
    "stock": "stock_out_of_range",
    "unit_price": "price_out_of_range",
    "amount": "amount_out_of_range",
}
"""The field a bound refused -> the problem's `code`, so a client can tell "too many" from "malformed"."""

PATTERN_CODES: Mapping[str, str] = {
    "payment_method_id": "invalid_payment_method_id",
    "payment_intent_id": "invalid_payment_intent_id",
}
"""The field whose shape was refused -> the problem's `code`."""

FIELD_CODES: Mapping[str, str] = {
    "phone": "invalid_phone",
    "locale": "invalid_locale",
    "pickup_code": "invalid_pickup_code",
}
"""Fields whose every refusal (shape, length, type) has one `code`: a client tells the person which field."""


def status_for(exc: errors.ComptoirError) -> int:
    for kind, status in _STATUS_BY_KIND:
        if isinstance(exc, kind):
            return status
    return 400


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The problem+json answer: the RFC members first, then `extra`'s. An extra named like an RFC member
    (an order's `status`) can neither break the call nor change the answer: the RFC member stays."""
    body: dict[str, Any] = {
        "type": f"https://comptoir.dev/problems/{code}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "code": code,
        "detail": detail,
    }
    for name, value in (extra or {}).items():
        body.setdefault(name, value)
    all_headers = dict(headers or {})
    if status == 401:
        all_headers["WWW-Authenticate"] = "Bearer"
    if status == 429 and "retry_after" in body:  # its body's `retry_after`, in seconds, as the header says it
        all_headers["Retry-After"] = str(body["retry_after"])
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=all_headers or None)


def validation_fields(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Each refused field: where (`loc`), why (`message`), pydantic's `type`, and our `code` when we have one."""
    fields = []
    for err in exc.errors():
        field = {"loc": list(err.get("loc", ())), "message": err.get("msg", ""), "type": err.get("type", "")}
        code = _field_code(field["loc"], field["type"])
        if code:
            field["code"] = code
        fields.append(field)
    return fields


def validation_code(fields: Sequence[Mapping[str, Any]]) -> str:
    """`invalid_request`, or the one field code every refused field shares (e.g. `quantity_out_of_range`)."""
    codes = {field.get("code") for field in fields}
    if len(codes) == 1 and None not in codes:
        return str(codes.pop())
    return "invalid_request"


def _field_code(loc: Sequence[Any], error_type: str) -> str | None:
    names = [part for part in loc if isinstance(part, str)]
    if not names:
        return None
    if names[-1] in FIELD_CODES:
        return FIELD_CODES[names[-1]]
    if error_type in RANGE_ERRORS:
        return RANGE_CODES.get(names[-1])
    if error_type == "string_pattern_mismatch":
        return PATTERN_CODES.get(names[-1])
    return None


async def _comptoir_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.ComptoirError)
    return problem(status_for(exc), exc.code, exc.detail, title=exc.title, extra=exc.extra)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = validation_fields(exc)
    detail = "The request body or parameters are not valid"
    return problem(422, validation_code(fields), detail, extra={"errors": fields})


_HTTP_CODES = {400: "body_not_parsable", 404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}
"""Starlette's and FastAPI's own refusals; FastAPI's only 400 is a body it cannot parse (e.g. not UTF-8)."""


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    """Starlette's own refusals; their headers (a 405's `Allow`) are kept."""
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return problem(exc.status_code, code, str(exc.detail), headers=exc.headers)


def install(app: FastAPI) -> None:
    """Our handlers for every refusal, and an OpenAPI document that lists the refusals any route can give."""
    app.add_exception_handler(errors.ComptoirError, _comptoir_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    generate = app.openapi
    app.openapi = lambda: with_refusals_of_any_route(generate())  # type: ignore[method-assign]
