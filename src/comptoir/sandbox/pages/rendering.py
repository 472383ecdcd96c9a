"""One Jinja2 environment for the sandbox's pages, autoescaping everything buyers or merchants typed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True
)

#: Pages carry card details and anti-CSRF tokens: never cache them, never leak the URL onwards.
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


def render(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_env.get_template(template).render(**context), status_code=status_code, headers=_HEADERS)


def notice(
    state: str,
    heading: str,
    message: str,
    *,
    status_code: int = 200,
    badge: str = "",
    tone: str = "",
    business_name: str | None = None,
    link_url: str | None = None,
    link_text: str | None = None,
    facts: list[tuple[str, str]] | None = None,
) -> HTMLResponse:
    """A one-message page: expired session, already paid, unknown link, nothing to authenticate."""
    return render(
        "notice.html",
        status_code,
        state=state,
        heading=heading,
        message=message,
        badge=badge,
        tone=tone,
        business_name=business_name,
        link_url=link_url,
        link_text=link_text,
        facts=facts,
    )
