"""Serves the Stripe.js v3 stand-in (``static/stripe-v3.js``) at Stripe's own paths.

Pages include ``<script src="{sandbox}/js/v3">`` (``/v3/`` works too, like js.stripe.com/v3/).
The script finds the sandbox from its own ``src``; the base URL written into it is only the
fallback for loaders that hide ``document.currentScript``.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

SCRIPT = Path(__file__).resolve().parent.parent / "static" / "stripe-v3.js"


async def stripe_js(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    body = SCRIPT.read_text(encoding="utf-8").replace("__SANDBOX_BASE__", base)
    return Response(
        body,
        media_type="application/javascript",
        headers={"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"},
    )
