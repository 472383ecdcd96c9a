"""PaymentIntents and the Charges they create: the card state machine of facts §6.1/§7.

Statuses: requires_payment_method → (confirm) → requires_action (3DS) | processing (SEPA) |
requires_capture (manual capture) | succeeded; a decline sends the intent back to
requires_payment_method with ``last_payment_error`` and a failed Charge, and the same intent
can then be confirmed again with another card.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from . import payment_methods
from .amounts import check_amount
from .cards import Decline, ThreeDS, card_for, iban_behaviour
from .currencies import method_currency_refusal
from .errors import StripeError, card_declined, invalid_param, resource_missing, unexpected_state
from .ids import new_id
from .objects.charge import build_charge, outcome
from .objects.payment_intent import build_payment_intent
from .params import Params, merge_metadata, payment_method_types

if TYPE_CHECKING:
    from .context import ObjectContext

CONFIRMABLE = ("requires_confirmation", "requires_payment_method", "requires_action")
AUTHORISATION_VALIDITY = 7 * 24 * 60 * 60
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing")
CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
AUTHENTICATION_FAILURE_MESSAGE = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new "
    "PaymentMethod to attempt to fulfill this PaymentIntent again."
)


def snapshot(obj: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(obj))


def get(sb: ObjectContext, pi_id: str) -> dict[str, Any]:
    pi = sb.store.get(pi_id, "payment_intent")
    if pi is None:
        raise resource_missing("payment_intent", pi_id)
    return pi


def create(sb: ObjectContext, p: Params, *, checkout_session: str | None = None) -> dict[str, Any]:
    amount = p.int("amount", required=True)
    currency = p.currency()
    check_amount(amount, currency)
    capture_method = p.str("capture_method", "automatic", choices=CAPTURE_METHODS)
    confirmation_method = p.str("confirmation_method", "automatic", choices=("automatic", "manual"))
    customer = p.str("customer")
    if customer and sb.store.get(customer, "customer") is None:
        raise resource_missing("customer", customer, param="customer", status=400)
    types = payment_method_types(p)
    for kind in types or ():
        if kind not in ("card", "sepa_debit"):
            raise invalid_param(
                f"The payment method type provided: {kind} is invalid. The sandbox supports card and sepa_debit.",
                "payment_method_types",
                code="payment_method_invalid_parameter",
            )
    refused = method_currency_refusal(types or [], currency, "payment_method_types")
    if refused is not None:
        raise refused
    pm = _payment_method_from(sb, p)
    pi = build_payment_intent(
        sb.clock.now(),
        amount=amount,
        currency=currency,
        capture_method=capture_method,
        confirmation_method=confirmation_method,
        customer=customer,
        description=p.str("description"),
        metadata=p.metadata(),
        payment_method_types=types,
        receipt_email=p.str("receipt_email"),
        setup_future_usage=p.str("setup_future_usage", choices=("on_session", "off_session")),
        statement_descriptor=p.str("statement_descriptor"),
        statement_descriptor_suffix=p.str("statement_descriptor_suffix"),
        shipping=p.raw("shipping") or None,
        automatic_payment_methods=p.sub("automatic_payment_methods").bool("enabled") or types is None,
        transfer_group=p.str("transfer_group"),
        payment_method_options=p.raw("payment_method_options") or {},
    )
    if pm is not None:
        pi["payment_method"] = pm["id"]
        pi["status"] = "requires_confirmation"
    sb.store.add("payment_intent", pi, {"checkout_session": checkout_session})
    sb.bus.emit("payment_intent.created", pi)
    if p.bool("confirm"):
        confirm(sb, pi, p, resolved_pm=pm)
    return pi


def update(sb: ObjectContext, pi: dict[str, Any], p: Params) -> dict[str, Any]:
    settled = pi["status"] in ("succeeded", "canceled", "processing", "requires_capture")
    changing_money = any(
        p.has(k)
        for k in (
            "amount",
            "currency",
            "payment_method",
            "payment_method_types",
            "allowed_payment_method_types",
            "capture_method",
            "customer",
        )
    )
    if settled and changing_money:
        raise unexpected_state(
            f"This PaymentIntent's amount, currency, customer, payment method or capture method could not be "
            f"updated because it has a status of {pi['status']}. You may only update these fields of a "
            "PaymentIntent with one of the following statuses: requires_payment_method, requires_confirmation, "
            "requires_action.",
            payment_intent=snapshot(pi),
        )
    if p.has("amount"):
        amount = p.int("amount", required=True)
        check_amount(amount, pi["currency"])
        pi["amount"] = amount
    if p.has("currency"):
        pi["currency"] = p.currency()
    if p.has("capture_method"):
        pi["capture_method"] = p.str("capture_method", choices=CAPTURE_METHODS)
    if p.has("customer"):
        customer = p.str("customer")
        if customer and sb.store.get(customer, "customer") is None:
            raise resource_missing("customer", customer, param="customer", status=400)
        pi["customer"] = customer
    for key in (
        "description",
        "receipt_email",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "setup_future_usage",
    ):
        if p.has(key):
            pi[key] = p.str(key)
    if p.has("shipping"):
        pi["shipping"] = p.raw("shipping") or None
    types = payment_method_types(p)
    if types:
        pi["payment_method_types"] = types
    pi["metadata"] = merge_metadata(pi["metadata"], p.metadata())
    if p.has("payment_method"):
        ref = p.str("payment_method")
        pi["payment_method"] = payment_methods.resolve(sb, ref)["id"] if ref else None
        if pi["status"] == "requires_payment_method" and pi["payment_method"]:
            pi["status"] = "requires_confirmation"
    sb.store.save(pi["id"])
    return pi


# --- confirmation ----------------------------------------------------------------------------


def _payment_method_from(sb: ObjectContext, p: Params) -> dict[str, Any] | None:
    """``payment_method`` (an id or ``pm_card_*``) or inline ``payment_method_data`` (Stripe.js)."""
    ref = p.str("payment_method")
    if ref:
        return payment_methods.resolve(sb, ref)
    if p.has("payment_method_data"):
        return payment_methods.create_from_params(sb, p.sub("payment_method_data"))
    return None


def _wants_3ds(p: Params, pi: dict[str, Any]) -> bool:
    options = p.sub("payment_method_options").sub("card").str("request_three_d_secure")
    if options is None:
        options = ((pi.get("payment_method_options") or {}).get("card") or {}).get("request_three_d_secure")
    return options in ("any", "challenge")


def confirm(
    sb: ObjectContext, pi: dict[str, Any], p: Params, resolved_pm: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Confirm with ``p["payment_method"]`` (or the one already on the intent).

    ``resolved_pm`` is the PaymentMethod ``create`` already resolved from the same parameter, so
    that a ``pm_card_*`` id mints one PaymentMethod, not two.
    """
    if pi["status"] not in CONFIRMABLE:
        raise unexpected_state(
            f"You cannot confirm this PaymentIntent because it has a status of {pi['status']}. Only a "
            "PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, "
            "requires_payment_method, requires_action.",
            payment_intent=snapshot(pi),
        )
    if resolved_pm is None:
        resolved_pm = _payment_method_from(sb, p)
    if resolved_pm is not None:
        pm = resolved_pm
    elif pi["payment_method"]:
        pm = sb.store.linked(pi["payment_method"], "payment_method")
    else:
        raise unexpected_state(
            "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the "
            "PaymentIntent, specify a payment method with the payment_method parameter.",
            payment_intent=snapshot(pi),
        )
    if pm["type"] not in pi["payment_method_types"]:
        raise invalid_param(
            f"The PaymentMethod provided ({pm['type']}) is not allowed for this PaymentIntent. Please attach a "
            f"PaymentMethod of one of the following types: {', '.join(pi['payment_method_types'])}.",
            "payment_method",
            code="payment_intent_incompatible_payment_method",
        )
    refused = method_currency_refusal([pm["type"]], pi["currency"], "payment_method")
    if refused is not None:
        raise refused
    private = sb.store.private[pi["id"]]
    return_url = p.str("return_url")
    if return_url:
        private["return_url"] = return_url
    if p.has("use_stripe_sdk"):
        private["use_stripe_sdk"] = p.bool("use_stripe_sdk")
    pi["payment_method"] = pm["id"]
    pi["last_payment_error"] = None
    pi["next_action"] = None
    pi["metadata"] = merge_metadata(pi["metadata"], p.metadata())
    sb.store.save(pi["id"])
    if pm["type"] == "sepa_debit":
        return _debit_sepa(sb, pi, pm)
    card = card_for(sb.store.private[pm["id"]]["number"])
    if private.pop("authenticated_pm", None) == pm["id"] and pi["status"] == "requires_confirmation":
        # the server confirms a manual-confirmation intent after the buyer passed 3-D Secure:
        # the authentication stands, so this is the charge (which may still be declined)
        return _charge(sb, pi, pm, card.decline_after_3ds, authenticated=True)
    off_session = p.bool("off_session")
    needs_3ds = {
        ThreeDS.REQUIRED: True,
        ThreeDS.REQUIRED_ON_SESSION: True,
        ThreeDS.SETUP_FOR_OFF_SESSION: not off_session,
        ThreeDS.OPTIONAL: _wants_3ds(p, pi),
    }.get(card.three_ds, False)
    if card.decline is not None and card.three_ds is ThreeDS.REQUIRED and card.decline_after_3ds is None:
        return _charge(sb, pi, pm, card.decline)
    if needs_3ds and card.error_when_3ds_attempted is not None:
        return _charge(sb, pi, pm, card.error_when_3ds_attempted)
    if needs_3ds and (off_session or p.bool("error_on_requires_action")):
        decline = Decline(
            "authentication_required",
            "authentication_required" if off_session else "authentication_not_handled",
            "Your card was declined. This transaction requires authentication.",
            "try_again_later",
        )
        return _charge(sb, pi, pm, decline)
    if needs_3ds:
        return _require_action(sb, pi)
    return _charge(sb, pi, pm, card.decline)


def three_ds_url(sb: ObjectContext, pi: dict[str, Any]) -> str:
    return f"{sb.config.public_base_url.rstrip('/')}/3ds/{pi['id']}?" + urlencode(
        {"client_secret": pi["client_secret"]}
    )


def _require_action(sb: ObjectContext, pi: dict[str, Any]) -> dict[str, Any]:
    private = sb.store.private[pi["id"]]
    url = three_ds_url(sb, pi)
    if private.get("return_url") and not private.get("use_stripe_sdk"):
        pi["next_action"] = {
            "type": "redirect_to_url",
            "redirect_to_url": {"return_url": private["return_url"], "url": url},
        }
    else:
        pi["next_action"] = {
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": url, "source": new_id("src", 24)},
        }
    pi["status"] = "requires_action"
    private["awaiting_3ds"] = True
    sb.store.save(pi["id"])
    sb.bus.emit("payment_intent.requires_action", pi)
    return pi


def complete_3ds(sb: ObjectContext, pi: dict[str, Any]) -> dict[str, Any]:
    """The buyer passed the challenge.

    An automatic-confirmation intent is charged at once (the card may still be declined). A
    ``confirmation_method=manual`` intent waits in ``requires_confirmation`` for the server to
    confirm it again (Stripe's "handleCardAction, then confirm on the server" flow); that
    confirm charges the card without a second challenge.
    """
    private = sb.store.private[pi["id"]]
    if pi["status"] != "requires_action" or not private.get("awaiting_3ds"):
        raise unexpected_state(
            f"This PaymentIntent is not awaiting authentication (status {pi['status']}).", payment_intent=snapshot(pi)
        )
    private["awaiting_3ds"] = False
    pi["next_action"] = None
    pm = sb.store.linked(pi["payment_method"], "payment_method")
    if pi["confirmation_method"] == "manual":
        private["authenticated_pm"] = pm["id"]
        pi["status"] = "requires_confirmation"
        sb.store.save(pi["id"])
        return pi
    card = card_for(sb.store.private[pm["id"]]["number"])
    return _charge(sb, pi, pm, card.decline_after_3ds, authenticated=True)


def fail_3ds(sb: ObjectContext, pi: dict[str, Any]) -> dict[str, Any]:
    """The buyer clicked Fail on the challenge: no charge, intent back to requires_payment_method."""
    private = sb.store.private[pi["id"]]
    if pi["status"] != "requires_action" or not private.get("awaiting_3ds"):
        raise unexpected_state(
            f"This PaymentIntent is not awaiting authentication (status {pi['status']}).", payment_intent=snapshot(pi)
        )
    private["awaiting_3ds"] = False
    pm = sb.store.linked(pi["payment_method"], "payment_method")
    error = StripeError(
        400,
        "invalid_request_error",
        AUTHENTICATION_FAILURE_MESSAGE,
        code="payment_intent_authentication_failure",
        payment_method=snapshot(pm),
    )
    pi["next_action"] = None
    pi["status"] = "requires_payment_method"
    pi["payment_method"] = None
    pi["last_payment_error"] = error.error_object()
    sb.store.save(pi["id"])
    sb.bus.emit("payment_intent.payment_failed", pi)
    _notify_listeners(sb, pi)
    return pi


def _charge(
    sb: ObjectContext, pi: dict[str, Any], pm: dict[str, Any], decline: Decline | None, authenticated: bool = False
) -> dict[str, Any]:
    now = sb.clock.now()
    if decline is not None:
        card = card_for(sb.store.private[pm["id"]]["number"])
        charge = build_charge(
            now,
            pi=pi,
            pm=pm,
            status="failed",
            captured=False,
            outcome_=outcome(
                approved=False,
                decline_code=decline.decline_code,
                advice_code=decline.advice_code,
                blocked=card.radar_blocked,
                message=decline.message,
            ),
            failure_code=decline.code,
            failure_message=decline.message,
        )
        sb.store.add("charge", charge)
        sb.bus.emit("charge.failed", charge)
        error = card_declined(decline, charge=charge["id"], payment_method=snapshot(pm))
        pi["status"] = "requires_payment_method"
        pi["latest_charge"] = charge["id"]
        pi["last_payment_error"] = error.error_object()
        pi["payment_method"] = None
        sb.store.save(pi["id"])
        sb.bus.emit("payment_intent.payment_failed", pi)
        _notify_listeners(sb, pi)
        error.payment_intent = snapshot(pi)
        raise error
    manual = pi["capture_method"] == "manual"
    charge = build_charge(now, pi=pi, pm=pm, status="succeeded", captured=not manual, outcome_=outcome(approved=True))
    if authenticated:
        charge["payment_method_details"]["card"]["three_d_secure"] = {
            "authentication_flow": "challenge",
            "electronic_commerce_indicator": "05",
            "exemption_indicator": None,
            "result": "authenticated",
            "result_reason": None,
            "transaction_id": new_id("3ds", 24),
            "version": "2.2.0",
        }
    sb.store.add("charge", charge)
    pi["latest_charge"] = charge["id"]
    if pi["customer"] and pi["setup_future_usage"] and not pm["customer"]:
        payment_methods.attach(sb, pm, pi["customer"])
    if manual:
        pi["status"] = "requires_capture"
        pi["amount_capturable"] = pi["amount"]
        # "Uncaptured PaymentIntents will be canceled exactly seven days after they are created."
        due = max(0, pi["created"] + AUTHORISATION_VALIDITY - sb.clock.now())
        sb.schedule(due, "expire_authorisation", {"payment_intent": pi["id"]})
    else:
        pi["status"] = "succeeded"
        pi["amount_received"] = pi["amount"]
    sb.store.save(pi["id"])
    sb.bus.emit("charge.succeeded", charge)
    sb.bus.emit("payment_intent.amount_capturable_updated" if manual else "payment_intent.succeeded", pi)
    _notify_listeners(sb, pi)
    return pi


def _debit_sepa(sb: ObjectContext, pi: dict[str, Any], pm: dict[str, Any]) -> dict[str, Any]:
    """SEPA is asynchronous: the intent waits in ``processing`` until a settle step decides it."""
    charge = build_charge(
        sb.clock.now(), pi=pi, pm=pm, status="pending", captured=True, outcome_=outcome(approved=True)
    )
    charge["paid"] = False
    charge["outcome"]["seller_message"] = "Payment pending."
    sb.store.add("charge", charge)
    pi["status"] = "processing"
    pi["latest_charge"] = charge["id"]
    pi["processing"] = None
    sb.store.save(pi["id"])
    behaviour = iban_behaviour(sb.store.private[pm["id"]]["iban"])
    sb.schedule(
        sb.config.async_delay * behaviour.delay_factor,
        "settle_sepa",
        {
            "payment_intent": pi["id"],
            "charge": charge["id"],
            "succeeds": behaviour.succeeds,
            "failure_code": behaviour.failure_code,
        },
    )
    sb.bus.emit("charge.pending", charge)
    sb.bus.emit("payment_intent.processing", pi)
    _notify_listeners(sb, pi)
    return pi


def settle_sepa(sb: ObjectContext, payload: dict[str, Any]) -> None:
    pi = sb.store.get(payload["payment_intent"], "payment_intent")
    charge = sb.store.get(payload["charge"], "charge")
    if pi is None or charge is None or pi["status"] != "processing":
        return
    if payload["succeeds"]:
        charge["status"] = "succeeded"
        charge["paid"] = True
        charge["outcome"]["seller_message"] = "Payment complete."
        charge["balance_transaction"] = new_id("txn", 24)
        pi["status"] = "succeeded"
        pi["amount_received"] = pi["amount"]
        sb.store.save(charge["id"])
        sb.store.save(pi["id"])
        sb.bus.emit("charge.succeeded", charge)
        sb.bus.emit("payment_intent.succeeded", pi)
    else:
        code = payload.get("failure_code") or "insufficient_funds"
        message = "The customer's account has insufficient funds to cover this payment."
        charge["status"] = "failed"
        charge["captured"] = False
        charge["amount_captured"] = 0
        charge["failure_code"] = code
        charge["failure_message"] = message
        charge["outcome"] = outcome(approved=False, decline_code=code, message=message)
        pm = sb.store.linked(pi["payment_method"], "payment_method")
        error = StripeError(
            402,
            "card_error",
            message,
            code="payment_method_provider_decline",
            decline_code=code,
            charge=charge["id"],
            payment_method=snapshot(pm),
        )
        error.type = "invalid_request_error"
        pi["status"] = "requires_payment_method"
        pi["last_payment_error"] = error.error_object()
        pi["payment_method"] = None
        sb.store.save(charge["id"])
        sb.store.save(pi["id"])
        sb.bus.emit("charge.failed", charge)
        sb.bus.emit("payment_intent.payment_failed", pi)
    _notify_listeners(sb, pi)


# --- capture and cancel ---------------------------------------------------------------------------


def capture(sb: ObjectContext, pi: dict[str, Any], p: Params) -> dict[str, Any]:
    if pi["status"] != "requires_capture":
        raise unexpected_state(
            f"This PaymentIntent could not be captured because it has a status of {pi['status']}. Only a "
            "PaymentIntent with one of the following statuses may be captured: requires_capture.",
            payment_intent=snapshot(pi),
        )
    amount = p.int("amount_to_capture", pi["amount_capturable"], minimum=1)
    if amount > pi["amount_capturable"]:
        raise invalid_param(
            f"The amount to capture ({amount}) must be less than or equal to the amount capturable "
            f"({pi['amount_capturable']}).",
            "amount_to_capture",
            code="amount_too_large",
        )
    charge = sb.store.linked(pi["latest_charge"], "charge")
    # Since API 2025-03-31 the released remainder of a partial capture is no Refund and does not
    # count in amount_refunded (changelog "remove refund from partial capture and payment
    # cancellation flow"): the charge only records what was captured.
    charge["captured"] = True
    charge["amount_captured"] = amount
    charge["balance_transaction"] = new_id("txn", 24)
    pi["amount_received"] = amount
    pi["amount_capturable"] = 0
    pi["status"] = "succeeded"
    pi["metadata"] = merge_metadata(pi["metadata"], p.metadata())
    sb.store.save(charge["id"])
    sb.store.save(pi["id"])
    sb.bus.emit("charge.captured", charge)
    sb.bus.emit("payment_intent.succeeded", pi)
    _notify_listeners(sb, pi)
    return pi


def cancel(sb: ObjectContext, pi: dict[str, Any], p: Params) -> dict[str, Any]:
    reason = p.str("cancellation_reason", choices=("duplicate", "fraudulent", "requested_by_customer", "abandoned"))
    if pi["status"] not in CANCELABLE:
        raise unexpected_state(
            f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}. Only a "
            "PaymentIntent with one of the following statuses may be canceled: " + ", ".join(CANCELABLE) + ".",
            payment_intent=snapshot(pi),
        )
    session_id = sb.store.private[pi["id"]].get("checkout_session")
    session = sb.store.get(session_id) if session_id else None
    if session is not None and session["status"] == "open":
        raise unexpected_state(
            "You cannot cancel this PaymentIntent because it was created by Checkout. Expire the Checkout "
            f"Session {session_id} instead.",
            payment_intent=snapshot(pi),
        )
    return _cancel(sb, pi, reason)


def expire_authorisation(sb: ObjectContext, payload: dict[str, Any]) -> None:
    """Seven days after its creation an authorisation still uncaptured is canceled by Stripe:
    `charge.expired` for its charge, then `payment_intent.canceled`."""
    pi = sb.store.get(payload["payment_intent"])
    if pi is None or pi["status"] != "requires_capture":
        return
    charge = sb.store.get(pi["latest_charge"]) if pi.get("latest_charge") else None
    if charge is not None:
        sb.bus.emit("charge.expired", charge)
    _cancel(sb, pi, "automatic")


def _cancel(sb: ObjectContext, pi: dict[str, Any], reason: str | None) -> dict[str, Any]:
    # Canceling an authorisation releases it (amount_capturable goes to 0). Since API 2025-03-31
    # that release is no Refund: the charge stays uncaptured with amount_refunded 0 and
    # refunded false, and neither charge.refunded nor charge.refund.updated is sent; only
    # payment_intent.canceled (changelog "remove refund from partial capture and payment
    # cancellation flow").
    pi["status"] = "canceled"
    pi["canceled_at"] = sb.clock.now()
    pi["cancellation_reason"] = reason
    pi["amount_capturable"] = 0
    pi["next_action"] = None
    sb.store.save(pi["id"])
    sb.bus.emit("payment_intent.canceled", pi)
    return pi


def _notify_listeners(sb: ObjectContext, pi: dict[str, Any]) -> None:
    """Tell the registered listeners (the Checkout Session that owns the intent) it changed."""
    for listener in sb.payment_intent_listeners:
        listener(sb, pi)
