"""The hosted Checkout page at ``session.url``: what a buyer sees after ``redirect(session.url)``.

GET shows the order and a payment form (or why it can no longer be paid); POST checks the
input like Stripe's fields do, then hands the card or IBAN to the engine, which plays the
issuer. Declines and input mistakes come back as the same page with inline messages and what
the buyer typed (except the card number, which is never echoed into HTML).
"""

from __future__ import annotations

import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..errors import StripeError
from .buyer_input import check_email, read_card, read_sepa
from .money import format_amount
from .rendering import notice, render
from .tokens import FormTokens

_KEPT_FIELDS = ("email", "card_expiry", "card_cvc", "card_name", "iban", "sepa_name")


def _engine(request: Request) -> Any:
    return request.app.state.sandbox


def _business_name(sandbox: Any, session: dict[str, Any]) -> str:
    """The session's own display name (`branding_settings[display_name]`), else the account's."""
    return session.get("display_name") or sandbox.config.business_name


def _success_url(session: dict[str, Any]) -> str | None:
    url = session.get("success_url")
    return url.replace("{CHECKOUT_SESSION_ID}", session["id"]) if url else None


def _line_items(sandbox: Any, session: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for item in session["line_items"]["data"]:
        price = item.get("price") or {}
        product_id = price.get("product")
        product = sandbox.get(product_id) if isinstance(product_id, str) else product_id
        rows.append(
            {
                "name": item.get("description") or (product or {}).get("name") or "Item",
                "description": (product or {}).get("description"),
                "quantity": item.get("quantity") or 1,
                "amount": format_amount(item["amount_total"], item["currency"]),
                "unit_amount": format_amount(price.get("unit_amount") or 0, item["currency"]),
            }
        )
    return rows


def _pending_error(sandbox: Any, session: dict[str, Any]) -> str | None:
    """Why the last attempt failed, e.g. after the buyer failed 3-D Secure and came back."""
    pi = sandbox.get(session["payment_intent"]) if session.get("payment_intent") else None
    if pi and pi["status"] == "requires_payment_method" and pi.get("last_payment_error"):
        return pi["last_payment_error"].get("message")
    return None


#: A complete session not (yet) settled, by its PaymentIntent's status: (state, heading, message, badge).
#: A manual-capture session is ``paid`` for Checkout but its card is only authorised.
_UNPAID = {
    "processing": (
        "processing",
        "Payment received — settling",
        "{business} has your payment details for {total}; the payment completes when your bank settles it.",
        "Processing",
    ),
    "requires_capture": (
        "authorised",
        "Payment authorised",
        "{business} has reserved {total} on your card and will capture it when your order is confirmed.",
        "Authorised",
    ),
    "requires_payment_method": (
        "debit_failed",
        "The bank debit failed",
        "Your bank refused the debit of {total}. {business} will contact you about another way to pay.",
        "Failed",
    ),
}


class CheckoutPages:
    def __init__(self, tokens: FormTokens) -> None:
        self.tokens = tokens

    def _form(
        self,
        sandbox: Any,
        session: dict[str, Any],
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        alert: str | None = None,
        method: str = "card",
        status_code: int = 200,
    ) -> Response:
        values = values if values is not None else {"email": session.get("customer_email") or ""}
        return render(
            "checkout.html",
            status_code,
            business_name=_business_name(sandbox, session),
            session=session,
            items=_line_items(sandbox, session),
            total=format_amount(session["amount_total"], session["currency"]),
            cancel_url=session.get("cancel_url"),
            action_url=f"/c/pay/{session['id']}",
            csrf_token=self.tokens.issue("checkout:" + session["id"]),
            values=values,
            errors=errors or {},
            alert=alert,
            method=method,
            sepa_allowed="sepa_debit" in session["payment_method_types"],
        )

    def _closed(self, sandbox: Any, session: dict[str, Any]) -> Response:
        """The page for a session that can no longer be paid: expired, paid, authorised, or settling."""
        business = _business_name(sandbox, session)
        total = format_amount(session["amount_total"], session["currency"])
        if session["status"] == "expired":
            return notice(
                "expired",
                "This checkout session has expired",
                f"The time to pay {business} ran out, and nothing was charged. Go back to the shop to start again.",
                badge="Expired",
                tone="bad",
                business_name=business,
                link_url=session.get("cancel_url"),
                link_text=f"← Back to {business}",
            )
        pi = sandbox.get(session["payment_intent"]) if session.get("payment_intent") else None
        if session["payment_status"] == "paid" and not (pi and pi["status"] == "requires_capture"):
            return notice(
                "paid",
                "This order is already paid",
                f"You paid {business} {total}. There is nothing more to pay.",
                badge="Paid",
                tone="ok",
                business_name=business,
                link_url=_success_url(session),
                link_text=f"Return to {business}",
            )
        state, heading, message, badge = _UNPAID.get(pi["status"] if pi else "", _UNPAID["processing"])
        return notice(
            state,
            heading,
            message.format(business=business, total=total),
            badge=badge,
            tone="bad" if state == "debit_failed" else "",
            business_name=business,
            link_url=_success_url(session),
            link_text=f"Return to {business}",
        )

    async def _load(self, request: Request) -> tuple[Any, dict[str, Any] | None]:
        sandbox = _engine(request)
        cs_id = request.path_params["cs_id"]
        session = await run_in_threadpool(sandbox.checkout_session, cs_id)
        if session and session["status"] == "open" and session["expires_at"] <= sandbox.clock.now():
            await run_in_threadpool(sandbox.settle)
            session = await run_in_threadpool(sandbox.checkout_session, cs_id)
        return sandbox, session

    @staticmethod
    def _missing() -> Response:
        return notice(
            "not_found",
            "We couldn't find this checkout page",
            "The link may be mistyped, or the shop may have created it in another sandbox.",
            status_code=404,
            badge="Unknown link",
            tone="bad",
        )

    @staticmethod
    async def _await_fulfilment(request: Request, session_id: str) -> None:
        """Stripe's redirect coupling (docs.stripe.com/checkout/fulfillment): "Checkout waits up to
        10 seconds for your server to respond to the webhook event delivery before redirecting
        your customer". Hold this request (not the loop, not other requests) until every
        endpoint listening to ``checkout.session.completed`` — and the ``--forward-to`` target —
        has answered its first delivery, or the configured wait has passed."""
        worker = getattr(request.app.state, "webhooks", None)
        if worker is None:
            return
        event_id = await run_in_threadpool(_engine(request).checkout_completed_event, session_id)
        if event_id is not None:
            await worker.first_answers(event_id, worker.settings.checkout_redirect_wait)

    async def show(self, request: Request) -> Response:
        sandbox, session = await self._load(request)
        if session is None:
            return self._missing()
        success_url = _success_url(session)
        if session["status"] == "complete" and request.query_params.get("redirect_status") and success_url:
            # back from 3-D Secure: the same wait as after a payment without a challenge
            await self._await_fulfilment(request, session["id"])
            return RedirectResponse(success_url, status_code=303)
        if session["status"] != "open":
            return self._closed(sandbox, session)
        return self._form(sandbox, session, alert=_pending_error(sandbox, session))

    async def submit(self, request: Request) -> Response:
        sandbox, session = await self._load(request)
        if session is None:
            return self._missing()
        if session["status"] != "open":
            return self._closed(sandbox, session)
        form = {key: str(value) for key, value in (await request.form()).items()}
        values = {key: form.get(key, "").strip() for key in _KEPT_FIELDS}
        method = "sepa_debit" if form.get("payment_method_type") == "sepa_debit" else "card"
        if method == "sepa_debit" and "sepa_debit" not in session["payment_method_types"]:
            method = "card"
        if not self.tokens.check("checkout:" + session["id"], form.get("csrf_token")):
            return self._form(
                sandbox,
                session,
                values=values,
                method=method,
                status_code=403,
                alert="This page was open for too long or came from another site. Check your "
                "details and press Pay again.",
            )
        errors = check_email(values["email"])
        today = time.gmtime(sandbox.clock.now())
        if method == "card":
            card, found = read_card(form, (today.tm_year, today.tm_mon))
        else:
            sepa, found = read_sepa(form)
        errors.update(found)
        if errors:
            return self._form(sandbox, session, values=values, errors=errors, method=method)
        session_id = session["id"]
        try:
            if method == "card":
                assert card is not None  # read_card gives None only with errors, answered above
                result = await run_in_threadpool(
                    lambda: sandbox.complete_checkout_with_card(
                        session_id,
                        number=card.number,
                        exp_month=card.exp_month,
                        exp_year=card.exp_year,
                        cvc=card.cvc,
                        email=values["email"],
                        name=card.name,
                    )
                )
            else:
                assert sepa is not None  # as for the card
                result = await run_in_threadpool(
                    lambda: sandbox.complete_checkout_with_sepa(
                        session_id, iban=sepa.iban, email=values["email"], name=sepa.name
                    )
                )
        except StripeError as error:
            sandbox, session = await self._load(request)
            if session is None or session["status"] != "open":
                return self._closed(sandbox, session) if session else self._missing()
            return self._form(sandbox, session, values=values, method=method, alert=error.message)
        if result.redirect_url:
            if result.status == "complete":
                await self._await_fulfilment(request, session["id"])
            return RedirectResponse(result.redirect_url, status_code=303)
        return self._closed(sandbox, await run_in_threadpool(sandbox.checkout_session, session["id"]))
