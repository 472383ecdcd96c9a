"""RFC 9457 problem+json responses: the one mapper from our exceptions to HTTP."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from comptoir.domain import errors

PROBLEM_JSON = "application/problem+json"

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


def status_for(exc: errors.ComptoirError) -> int:
    for kind, status in _STATUS_BY_KIND:
        if isinstance(exc, kind):
            return status
    return 400


def problem(status: int, code: str, detail: str, *, title: str | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://comptoir.dev/problems/{code}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "code": code,
        "detail": detail,
    }
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=_headers(status, extra))


def _headers(status: int, extra: dict[str, Any]) -> dict[str, str] | None:
    """401 names the scheme to use; 429 says, in seconds, when to try again (its body's `retry_after`)."""
    if status == 401:
        return {"WWW-Authenticate": "Bearer"}
    if status == 429 and "retry_after" in extra:
        return {"Retry-After": str(extra["retry_after"])}
    return None


async def _comptoir_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.ComptoirError)
    return problem(status_for(exc), exc.code, exc.detail, title=exc.title, **exc.extra)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [
        {"loc": list(err.get("loc", ())), "message": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]
    return problem(422, "invalid_request", "The request body or parameters are not valid", errors=fields)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(exc.status_code, "http_error")
    return problem(exc.status_code, code, str(exc.detail))


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.ComptoirError, _comptoir_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
