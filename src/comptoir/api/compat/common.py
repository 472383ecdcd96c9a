"""What the compatibility routers share: major-unit amounts, JavaScript-style dates, translated errors."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from comptoir.api.problems import problem, status_for
from comptoir.domain.errors import ComptoirError
from comptoir.domain.money import Money

Translate = Callable[[ComptoirError], Response]
"""Turns one of our refusals into the seed's dialect (same status and code, the seed's words)."""


def tag(seed: str) -> str:
    """The OpenAPI tag that groups a seed's routes in /docs."""
    return f"compat: seed {seed}"


def major_units(amount: int, currency: str) -> float:
    """125000 EUR -> 1250.0: the seeds' JSON numbers in euros (display only; never parsed back as money)."""
    return float(Money(amount, currency).to_decimal())


def js_iso(moment: datetime | None) -> str | None:
    """Like JavaScript's Date.toISOString(): UTC, milliseconds, `Z`."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{aware.microsecond // 1000:03d}Z"


def invalid_request(exc: RequestValidationError) -> ComptoirError:
    """A body that does not parse, as one of our errors, so a Translate can word it."""
    fields = [
        {"loc": list(err.get("loc", ())), "message": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]
    return ComptoirError("The request body or parameters are not valid", code="invalid_request", errors=fields)


def translated_errors(translate: Translate) -> type[APIRoute]:
    """A route class whose refusals (auth, validation, services) go through `translate`."""

    class TranslatedRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def run(request: Request) -> Response:
                try:
                    return await handler(request)
                except RequestValidationError as exc:
                    return translate(invalid_request(exc))
                except ComptoirError as exc:
                    return translate(exc)

            return run

    return TranslatedRoute


def as_problem(exc: ComptoirError, detail: str, *, title: str | None = None, **extra: Any) -> Response:
    """Our problem+json with the status and code of `exc` and the seed's wording."""
    status = 422 if exc.code == "invalid_request" else status_for(exc)
    return problem(status, exc.code, detail, title=title or exc.title, **{**exc.extra, **extra})
