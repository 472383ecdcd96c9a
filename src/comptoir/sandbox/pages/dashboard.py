"""The dashboard at the sandbox's root: what happened lately, with Refund and Resend buttons.

Recent PaymentIntents, Checkout Sessions, refunds and events with their deliveries (status,
attempts, next retry). A refund made here is the "refund made in the Stripe Dashboard" case a
shop must sync from ``charge.refunded`` / ``refund.created``. Forms carry an anti-CSRF token
scoped to their action and object, like the hosted pages; every value is escaped by Jinja.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..errors import StripeError
from .money import format_amount
from .rendering import render
from .tokens import FormTokens

REFUNDABLE = "succeeded"


def _when(timestamp: int | None) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S") if timestamp else "—"


def _time(timestamp: int | None) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%H:%M:%S") if timestamp else "—"


def _back(**message: str) -> Response:
    return RedirectResponse("/?" + urlencode(message), status_code=303)


class DashboardPages:
    def __init__(self, tokens: FormTokens) -> None:
        self.tokens = tokens

    async def show(self, request: Request) -> Response:
        sandbox = request.app.state.sandbox
        snapshot = await run_in_threadpool(sandbox.dashboard_snapshot)
        worker = getattr(request.app.state, "webhooks", None)
        payments = []
        for pi in snapshot["payment_intent"]:
            refunded = snapshot["refunded"].get(pi["id"], 0)
            payments.append(
                {
                    **pi,
                    "amount_text": format_amount(pi["amount"], pi["currency"]),
                    "refunded_text": format_amount(refunded, pi["currency"]) if refunded else "",
                    "shown_status": "refunded" if refunded and refunded >= pi["amount_received"] else pi["status"],
                    "created_text": _when(pi["created"]),
                    "refund_token": self.tokens.issue(f"dashboard:refund:{pi['id']}"),
                    "refundable": pi["status"] == REFUNDABLE and refunded < pi["amount_received"],
                }
            )
        sessions = [
            {
                **cs,
                "amount_text": format_amount(cs.get("amount_total") or 0, cs["currency"]),
                "created_text": _when(cs["created"]),
            }
            for cs in snapshot["checkout.session"]
        ]
        refunds = [
            {
                **r,
                "amount_text": format_amount(r["amount"], r["currency"]),
                "created_text": _when(r["created"]),
                "created_time": _time(r["created"]),
            }
            for r in snapshot["refund"]
        ]
        events = []
        for event in snapshot["event"]:
            rows = [
                {
                    **row,
                    "next_text": _when(row.get("next_attempt_at")) if row["status"] == "pending" else "—",
                    "resend_token": self.tokens.issue(f"dashboard:resend:{event['id']}:{row['endpoint_id']}"),
                    "busy": worker is None or worker.busy(event["id"], row["endpoint_id"]),
                }
                for row in snapshot["deliveries"].get(event["id"], [])
            ]
            events.append({**event, "created_text": _when(event["created"]), "deliveries": rows})
        return render(
            "dashboard.html",
            business_name=sandbox.config.business_name,
            payments=payments,
            sessions=sessions,
            refunds=refunds,
            events=events,
            done=request.query_params.get("done"),
            failed=request.query_params.get("failed"),
        )

    async def refund(self, request: Request) -> Response:
        pi_id = request.path_params["pi_id"]
        form = await request.form()
        if not self.tokens.check(f"dashboard:refund:{pi_id}", str(form.get("csrf_token") or "")):
            return _back(failed="This form has expired; reload the page and try again.")
        try:
            refund = await run_in_threadpool(request.app.state.sandbox.refund_in_dashboard, pi_id)
        except StripeError as error:
            return _back(failed=error.message)
        return _back(
            done=f"Refunded {format_amount(refund['amount'], refund['currency'])} of {pi_id} ({refund['id']})."
        )

    async def resend(self, request: Request) -> Response:
        form = await request.form()
        event_id, endpoint_id = str(form.get("event_id") or ""), str(form.get("endpoint_id") or "")
        scope = f"dashboard:resend:{event_id}:{endpoint_id}"
        if not self.tokens.check(scope, str(form.get("csrf_token") or "")):
            return _back(failed="This form has expired; reload the page and try again.")
        worker = getattr(request.app.state, "webhooks", None)
        if worker is None:
            return _back(failed="This sandbox delivers no webhooks.")
        if worker.busy(event_id, endpoint_id):
            return _back(failed=f"{event_id} is still queued or retrying for {endpoint_id}; wait for its outcome.")
        await worker.resend(event_id, endpoint_id)
        return _back(done=f"Resending {event_id} to {endpoint_id}.")
