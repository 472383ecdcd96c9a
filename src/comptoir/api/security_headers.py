"""Security headers on every response, as a pure ASGI middleware.

Every answer gets `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` (the
checkout landing pages carry order and session ids in their query strings: no link followed from
them should hand those to another site). HTML gets a Content-Security-Policy for comptoir's own
pages: scripts, styles and images from this origin only, no inline script, not framed, no
`<base>`, forms posted to this origin only. Anything else gets a policy that allows nothing
(a JSON answer opened in a browser runs nothing and loads nothing).

A route that needs another policy (the API docs pages) sets its own `Content-Security-Policy`
header; the middleware keeps it and only fills in what is missing.

A small middleware of our own rather than the `secure` package: the policy differs per kind of
response (and per route), which is a few lines here, and it keeps one dependency fewer.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""comptoir's HTML pages. Their links to the payment page (the sandbox's, or checkout.stripe.com)
are plain navigations, which a CSP does not restrict; none of them posts a form elsewhere."""

NON_HTML_POLICY = "default-src 'none'; frame-ancestors 'none'"

ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
CSP = b"content-security-policy"


class SecurityHeaders:
    """Add the headers above to each response that does not already carry them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
    added = [(name, value) for name, value in ALWAYS if name not in present]
    if CSP not in present:
        policy = PAGE_POLICY if content_type.startswith(b"text/html") else NON_HTML_POLICY
        added.append((CSP, policy.encode()))
    return [*headers, *added]
