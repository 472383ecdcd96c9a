"""A tiny shop on its own origin that uses the Stripe.js stand-in the way Stripe's docs show (seed 003).

The page mounts the card Element, creates a PaymentMethod in the browser, and its ``/pay``
endpoint confirms server-side with the official SDK (``confirm=true``); when the intent needs
authentication the page calls ``handleCardAction`` and posts again so the server re-confirms.
Other pages exercise ``confirmCardPayment`` and ``redirectToCheckout``. Being on another port,
it also proves the sandbox answers cross-origin calls.
"""

from __future__ import annotations

import json
from typing import Any

import stripe
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

_HEAD = """<!doctype html><html><head><meta charset="utf-8"><title>Test shop</title>
<script src="{sandbox}/js/v3"></script></head><body>"""

CARD_PAGE = (
    _HEAD
    + """
<form id="payment-form">
  <input id="name" value="Ann Example">
  <div id="card-element"></div>
  <div id="card-errors"></div>
  <button id="pay" type="submit">Pay</button>
</form>
<output id="result"></output>
<script>
const stripe = Stripe({pk});
const card = stripe.elements().create('card');
card.mount('#card-element');
card.on('change', (event) => {{
  document.getElementById('card-errors').textContent = event.error ? event.error.message : '';
  document.getElementById('card-element').dataset.complete = String(event.complete);
}});
const result = document.getElementById('result');
const post = async (body) => (await fetch('/pay', {{method: 'POST', headers: {{'Content-Type': 'application/json'}},
                                                   body: JSON.stringify(body)}})).json();
async function handleServerResponse(response) {{
  if (response.error) {{
    result.textContent = 'error: ' + response.error;
  }} else if (response.requires_action) {{
    const {{error, paymentIntent}} = await stripe.handleCardAction(response.payment_intent_client_secret);
    if (error) {{
      result.dataset.pi = error.payment_intent.id;
      result.textContent = 'error: ' + error.code;
    }} else {{
      handleServerResponse(await post({{payment_intent_id: paymentIntent.id}}));
    }}
  }} else {{
    result.dataset.pi = response.id;
    result.textContent = response.status;
  }}
}}
document.getElementById('payment-form').addEventListener('submit', async (event) => {{
  event.preventDefault();
  const {{paymentMethod, error}} = await stripe.createPaymentMethod({{
    type: 'card', card: card, billing_details: {{name: document.getElementById('name').value}}}});
  if (error) {{ result.textContent = 'error: ' + error.message; return; }}
  handleServerResponse(await post({{payment_method_id: paymentMethod.id}}));
}});
</script></body></html>"""
)

CONFIRM_PAGE = (
    _HEAD
    + """
<div id="card-element"></div>
<button id="pay" type="button">Pay</button>
<output id="result"></output>
<script>
const stripe = Stripe({pk});
const card = stripe.elements().create('card');
card.mount('#card-element');
document.getElementById('pay').addEventListener('click', async () => {{
  const result = document.getElementById('result');
  const saved = {saved_method};
  const {{paymentIntent, error}} = await stripe.confirmCardPayment({client_secret},
    {{payment_method: saved || {{card: card, billing_details: {{name: 'Ann Example'}}}}}});
  result.textContent = error ? 'error: ' + error.message : paymentIntent.status;
}});
</script></body></html>"""
)

REDIRECT_PAGE = (
    _HEAD
    + """
<button id="checkout" type="button">Checkout</button>
<script>
const stripe = Stripe({pk});
document.getElementById('checkout').addEventListener('click',
  () => stripe.redirectToCheckout({{sessionId: {session_id}}}));
</script></body></html>"""
)


def merchant_app(sandbox_url: str, publishable_key: str, client: stripe.StripeClient) -> Starlette:
    fill = {"sandbox": sandbox_url, "pk": json.dumps(publishable_key)}

    async def card_page(request: Request) -> HTMLResponse:
        return HTMLResponse(CARD_PAGE.format(**fill))

    def _pay(body: dict[str, Any]) -> dict[str, Any]:
        try:
            if "payment_method_id" in body:
                intent = client.v1.payment_intents.create(
                    {
                        "amount": 1999,
                        "currency": "eur",
                        "payment_method": body["payment_method_id"],
                        "payment_method_types": ["card"],
                        "confirmation_method": "manual",
                        "confirm": True,
                    }
                )
            else:
                intent = client.v1.payment_intents.retrieve(body["payment_intent_id"])
                if intent.status == "requires_confirmation":
                    intent = client.v1.payment_intents.confirm(intent.id)
        except stripe.CardError as error:
            return {"error": error.user_message}
        if intent.status == "requires_action" and intent.next_action.type == "use_stripe_sdk":
            return {"requires_action": True, "payment_intent_client_secret": intent.client_secret}
        if intent.status == "succeeded":
            return {"status": "succeeded", "id": intent.id}
        return {"error": f"unexpected status {intent.status}"}

    async def pay(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse(await run_in_threadpool(_pay, body))

    async def confirm_page(request: Request) -> HTMLResponse:
        intent = await run_in_threadpool(
            client.v1.payment_intents.create, {"amount": 2500, "currency": "eur", "payment_method_types": ["card"]}
        )
        return HTMLResponse(
            CONFIRM_PAGE.format(
                client_secret=json.dumps(intent.client_secret),
                saved_method=json.dumps(request.query_params.get("pm")),
                **fill,
            )
        )

    async def redirect_page(request: Request) -> HTMLResponse:
        session_id = request.query_params["session_id"]
        return HTMLResponse(REDIRECT_PAGE.format(session_id=json.dumps(session_id), **fill))

    async def thanks(request: Request) -> HTMLResponse:
        return HTMLResponse(f"<h1>Thank you</h1><p id='session'>{request.query_params.get('session_id', '')}</p>")

    return Starlette(
        routes=[
            Route("/", card_page),
            Route("/pay", pay, methods=["POST"]),
            Route("/confirm", confirm_page),
            Route("/redirect", redirect_page),
            Route("/thanks", thanks),
            Route("/cart", thanks),
        ]
    )
