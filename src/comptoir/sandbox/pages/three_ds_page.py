"""The 3-D Secure challenge at ``next_action``'s URL: the buyer plays their bank and picks the outcome.

Stripe's test-mode challenge offers "Complete" and "Fail"; so does this page. It serves both
flows: the hosted Checkout page sends the buyer here with a redirect (and gets them back via
``three_ds_return_url``), and the Stripe.js stand-in shows it in a modal iframe with
``embedded=1`` (the page then tells its parent window by ``postMessage`` instead of redirecting).
The PaymentIntent's client secret in the URL is what authorises the visit, as on Stripe.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..errors import StripeError
from .money import format_amount
from .rendering import notice, render
from .tokens import FormTokens

_REDIRECT_STATUS = {
    "succeeded": "succeeded",
    "requires_capture": "succeeded",
    "requires_confirmation": "succeeded",  # manual confirmation: authenticated, the server confirms next
    "processing": "pending",
}


def _with_outcome(url: str, pi: dict[str, Any]) -> str:
    """Add Stripe's return parameters when the return URL lacks them (the hosted page reads them)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if "redirect_status" in query:
        return url
    query.update(payment_intent=pi["id"], redirect_status=_REDIRECT_STATUS.get(pi["status"], "failed"))
    return urlunsplit(parts._replace(query=urlencode(query)))


class ThreeDSPages:
    def __init__(self, tokens: FormTokens) -> None:
        self.tokens = tokens

    @staticmethod
    def _unknown() -> Response:
        return notice(
            "not_found",
            "Unknown authentication request",
            "This 3-D Secure link does not match a payment waiting for authentication.",
            status_code=404,
            badge="Unknown link",
            tone="bad",
        )

    async def _intent(self, request: Request, client_secret: str | None) -> tuple[Any, dict[str, Any] | None]:
        sandbox = request.app.state.sandbox
        pi = await run_in_threadpool(sandbox.get, request.path_params["pi_id"])
        if (
            pi is None
            or pi.get("object") != "payment_intent"
            or not client_secret
            or not hmac.compare_digest(pi["client_secret"], client_secret)
        ):
            return sandbox, None
        return sandbox, pi

    async def _finished(self, sandbox: Any, pi: dict[str, Any], embedded: bool) -> Response:
        """After the outcome (or when nothing is left to authenticate): hand the buyer back."""
        if embedded:
            outcome = "fail" if pi["status"] == "requires_payment_method" else "complete"
            return render("three_ds_done.html", payment_intent_id=pi["id"], outcome=outcome)
        url = await run_in_threadpool(sandbox.three_ds_return_url, pi["id"])
        if url:
            return RedirectResponse(_with_outcome(url, pi), status_code=303)
        done = pi["status"] != "requires_payment_method"
        return notice(
            "authenticated" if done else "failed",
            "Authentication complete" if done else "Authentication failed",
            "You can close this window and return to the shop.",
            badge="3-D Secure",
            tone="ok" if done else "bad",
        )

    def _challenge(
        self,
        sandbox: Any,
        pi: dict[str, Any],
        client_secret: str,
        embedded: bool,
        status_code: int = 200,
        alert: str | None = None,
    ) -> Response:
        pm = sandbox.get(pi["payment_method"]) if pi.get("payment_method") else None
        card = (pm or {}).get("card") or {}
        card_label = f"{card.get('brand', 'card').title()} •••• {card['last4']}" if card.get("last4") else None
        return render(
            "three_ds.html",
            status_code,
            payment_intent_id=pi["id"],
            amount=format_amount(pi["amount"], pi["currency"]),
            card_label=card_label,
            action_url=f"/3ds/{pi['id']}",
            csrf_token=self.tokens.issue("3ds:" + pi["id"]),
            client_secret=client_secret,
            embedded=embedded,
            alert=alert,
        )

    async def show(self, request: Request) -> Response:
        client_secret = request.query_params.get("client_secret")
        embedded = bool(request.query_params.get("embedded"))
        sandbox, pi = await self._intent(request, client_secret)
        if pi is None or client_secret is None:  # no secret gives no PaymentIntent
            return self._unknown()
        if pi["status"] != "requires_action":
            return await self._finished(sandbox, pi, embedded)
        return self._challenge(sandbox, pi, client_secret, embedded)

    async def submit(self, request: Request) -> Response:
        form = await request.form()
        client_secret = str(form.get("client_secret") or "")
        embedded = bool(form.get("embedded"))
        sandbox, pi = await self._intent(request, client_secret)
        if pi is None:
            return self._unknown()
        if pi["status"] != "requires_action":
            return await self._finished(sandbox, pi, embedded)
        if not self.tokens.check("3ds:" + pi["id"], str(form.get("csrf_token") or "")):
            return self._challenge(
                sandbox,
                pi,
                client_secret,
                embedded,
                status_code=403,
                alert="This page was open for too long or came from another site. Choose the outcome again.",
            )
        outcome = form.get("outcome")
        try:
            if outcome == "complete":
                after = await run_in_threadpool(sandbox.complete_3ds, pi["id"])
            elif outcome == "fail":
                after = await run_in_threadpool(sandbox.fail_3ds, pi["id"])
            else:
                return self._challenge(
                    sandbox, pi, client_secret, embedded, status_code=400, alert="Choose Complete or Fail."
                )
        except StripeError:
            after = await run_in_threadpool(sandbox.get, pi["id"])
        return await self._finished(sandbox, after, embedded)
