"""What the compatibility routers share: major-unit amounts, JavaScript-style dates, translated errors."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from comptoir.api.problems import problem, status_for, validation_code, validation_fields
from comptoir.domain.errors import ComptoirError, InvalidInput
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
    fields = validation_fields(exc)
    return InvalidInput("The request body or parameters are not valid", code=validation_code(fields), errors=fields)


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


def as_problem(
    exc: ComptoirError, detail: str, *, title: str | None = None, extra: Mapping[str, Any] | None = None
) -> Response:
    """Our problem+json with the status and code of `exc` and the seed's wording."""
    return problem(status_for(exc), exc.code, detail, title=title or exc.title, extra={**exc.extra, **(extra or {})})
