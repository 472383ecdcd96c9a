"""Checkout Sessions (payment mode): creation, line items, expiry, and completion by the buyer.

As in API versions since 2022-08-01 no PaymentIntent exists until the buyer confirms on the
hosted page; the intent is created then (and reused if the first card is declined).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import payment_methods, payments
from .amounts import check_maximum, check_minimum
from .currencies import method_currency_refusal
from .errors import invalid_param, invalid_request, missing_param, resource_missing
from .ids import new_id
from .objects.checkout_session import build_line_item, build_session, customer_details
from .params import Params, payment_method_types

if TYPE_CHECKING:
    from .context import ObjectContext

MIN_EXPIRY = 30 * 60
MAX_EXPIRY = 24 * 60 * 60
SUPPORTED_TYPES = ("card", "sepa_debit")
REUSABLE_PI_STATUSES = ("requires_payment_method", "requires_confirmation", "requires_action")


@dataclass(frozen=True)
class CheckoutResult:
    """What the hosted page does next: go to ``redirect_url`` (success page or 3DS challenge)."""

    status: str
    session: dict[str, Any]
    payment_intent: dict[str, Any]
    redirect_url: str | None


UI_MODES = ("elements", "embedded_page", "form", "hosted_page")
"""``ui_mode`` values of API 2026-10-28.endive (older versions said ``hosted``, ``embedded``, ``custom``)."""
HOSTED_PAGE = "hosted_page"


def get(sb: ObjectContext, session_id: str) -> dict[str, Any]:
    session = sb.store.get(session_id, "checkout.session")
    if session is None:
        raise resource_missing("checkout.session", session_id)
    return session


def success_redirect(session: dict[str, Any]) -> str | None:
    url = session["success_url"]
    return url.replace("{CHECKOUT_SESSION_ID}", session["id"]) if url else None


def _url(p: Params, key: str) -> str | None:
    value = p.str(key)
    if value is not None and not value.startswith(("http://", "https://")):
        raise invalid_param("Not a valid URL", key, code="url_invalid")
    return value


def _line_item(sb: ObjectContext, index: int, raw: Any, now: int) -> dict[str, Any]:
    name = f"line_items[{index}]"
    if not isinstance(raw, dict):
        raise invalid_param("Invalid line item", name, code="parameter_invalid_string")
    item = Params(raw, name)
    quantity = item.int("quantity", required=True, minimum=1)
    price_id = item.str("price")
    if price_id:
        price = sb.store.get(price_id, "price")
        if price is None:
            raise resource_missing("price", price_id, param=f"{name}[price]", status=400)
        if not price["active"]:
            raise invalid_param(
                f"The price specified ({price_id}) is inactive. This field only accepts active prices.",
                f"{name}[price]",
                code=None,
            )
        product = sb.store.get(price["product"], "product") or {"name": price["nickname"] or price_id}
        if price["type"] != "one_time":
            raise invalid_param(
                "You must provide at least one recurring price in `subscription` mode when "
                "using prices; recurring prices are not allowed in `payment` mode.",
                f"{name}[price]",
            )
        return build_line_item(price, product, quantity)
    if not item.has("price_data"):
        raise missing_param(f"{name}[price]")
    data = item.sub("price_data")
    currency = data.currency()
    amount = data.int("unit_amount")
    if amount is None:
        decimal = data.str("unit_amount_decimal")
        if decimal is None:
            raise missing_param(f"{name}[price_data][unit_amount]")
        amount = int(float(decimal))
    product_id = data.str("product")
    if product_id:
        stored_product = sb.store.get(product_id, "product")
        if stored_product is None:
            raise resource_missing("product", product_id, param=f"{name}[price_data][product]", status=400)
        product = stored_product
    else:
        product_data = data.sub("product_data")
        product = {"id": new_id("prod", 14), "name": product_data.str("name", required=True)}
    price = {
        "id": new_id("price", 24),
        "object": "price",
        "active": False,
        "billing_scheme": "per_unit",
        "created": now,
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": None,
        "product": product["id"],
        "recurring": None,
        "tax_behavior": data.str("tax_behavior", "unspecified"),
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "one_time",
        "unit_amount": amount,
        "unit_amount_decimal": str(amount),
    }
    return build_line_item(price, product, quantity)


def create(sb: ObjectContext, p: Params) -> dict[str, Any]:
    now = sb.clock.now()
    mode = p.str("mode", required=True, choices=("payment", "setup", "subscription"))
    if mode != "payment":
        raise invalid_param(
            f"The sandbox supports Checkout in payment mode only, not {mode}.", "mode", code="parameter_invalid_string"
        )
    ui_mode = p.str("ui_mode", HOSTED_PAGE, choices=UI_MODES)
    if ui_mode != HOSTED_PAGE:
        raise invalid_param(
            f"The sandbox serves hosted Checkout pages only (ui_mode={HOSTED_PAGE}), not {ui_mode}.",
            "ui_mode",
            code="parameter_invalid_string",
        )
    raw_items = p.list("line_items")
    if not raw_items:
        raise missing_param("line_items")
    items = [_line_item(sb, i, raw, now) for i, raw in enumerate(raw_items)]
    currencies = {item["currency"] for item in items}
    if len(currencies) > 1:
        raise invalid_param(
            "Checkout does not support multiple currencies: all line items must use the same currency.",
            "line_items",
            code=None,
        )
    currency = currencies.pop()
    expires_at = p.int("expires_at", now + MAX_EXPIRY)
    if expires_at < now + MIN_EXPIRY:
        raise invalid_param(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
            "expires_at",
            code=None,
        )
    if expires_at > now + MAX_EXPIRY:
        raise invalid_param(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            "expires_at",
            code=None,
        )
    customer = p.str("customer")
    customer_email = p.str("customer_email")
    if customer and customer_email:
        raise invalid_param(
            "You may only specify one of these parameters: customer, customer_email.", "customer_email", code=None
        )
    if customer and sb.store.get(customer, "customer") is None:
        raise resource_missing("customer", customer, param="customer", status=400)
    types = payment_method_types(p) or ["card"]
    for kind in types:
        if kind not in SUPPORTED_TYPES:
            raise invalid_param(
                f"Invalid payment_method_types: the sandbox supports {', '.join(SUPPORTED_TYPES)}.",
                "payment_method_types",
                code="payment_method_invalid_parameter",
            )
    refused = method_currency_refusal(types, currency, "payment_method_types")
    if refused is not None:
        raise refused
    pi_data = p.sub("payment_intent_data")
    intent_params = {
        "capture_method": pi_data.str("capture_method", "automatic", choices=payments.CAPTURE_METHODS),
        "description": pi_data.str("description"),
        "metadata": pi_data.metadata() or {},
        "receipt_email": pi_data.str("receipt_email"),
        "setup_future_usage": pi_data.str("setup_future_usage", choices=("on_session", "off_session")),
        "statement_descriptor": pi_data.str("statement_descriptor"),
        "statement_descriptor_suffix": pi_data.str("statement_descriptor_suffix"),
    }
    amount = sum(item["amount_total"] for item in items)
    check_minimum(
        amount, currency, "The Checkout Session's total amount due must add up to at least", param="line_items"
    )
    check_maximum(amount, currency, param="line_items")
    session = build_session(
        now,
        public_base_url=sb.config.public_base_url,
        currency=currency,
        amount=amount,
        expires_at=expires_at,
        success_url=_url(p, "success_url"),
        cancel_url=_url(p, "cancel_url"),
        client_reference_id=p.str("client_reference_id", max_length=200),
        customer=customer,
        customer_email=customer_email,
        metadata=p.metadata() or {},
        payment_method_types=types,
        locale=p.str("locale"),
        submit_type=p.str("submit_type", choices=("auto", "book", "donate", "pay", "subscribe")),
        ui_mode=ui_mode,
    )
    # Kept beside the session, not on it: the published fixtures' session has no `branding_settings`.
    display_name = p.sub("branding_settings").str("display_name", max_length=100)
    private = {"line_items": items, "payment_intent_data": intent_params, "display_name": display_name}
    sb.store.add("checkout.session", session, private)
    return session


def line_items(sb: ObjectContext, session_id: str) -> list[dict[str, Any]]:
    get(sb, session_id)
    return sb.store.private[session_id]["line_items"]


def expire(sb: ObjectContext, session: dict[str, Any], p: Params | None = None) -> dict[str, Any]:
    if session["status"] != "open":
        raise invalid_request(
            f"Only Checkout Sessions with a status of 'open' can be expired. This Checkout "
            f"Session has a status of '{session['status']}'."
        )
    pi = sb.store.get(session["payment_intent"]) if session["payment_intent"] else None
    session["status"] = "expired"
    session["url"] = None
    sb.store.save(session["id"])
    if pi is not None and pi["status"] in REUSABLE_PI_STATUSES:
        payments.cancel(sb, pi, Params({"cancellation_reason": "abandoned"}))
    sb.bus.emit("checkout.session.expired", session)
    return session


def expire_due(sb: ObjectContext) -> int:
    now = sb.clock.now()
    due = [s for s in sb.store.newest_first("checkout.session") if s["status"] == "open" and s["expires_at"] <= now]
    for session in due:
        expire(sb, session)
    return len(due)


# --- completion by the buyer (hosted page) ------------------------------------------------------


def _open_session(sb: ObjectContext, session_id: str, method: str) -> dict[str, Any]:
    session = get(sb, session_id)
    if session["status"] == "open" and session["expires_at"] <= sb.clock.now():
        expire(sb, session)
    if session["status"] != "open":
        raise invalid_request(
            f"This Checkout Session is no longer active (status {session['status']}).",
        )
    if method not in session["payment_method_types"]:
        raise invalid_request(f"This Checkout Session does not accept {method} payments.", param="payment_method_types")
    return session


def _pay(
    sb: ObjectContext, session: dict[str, Any], pm: dict[str, Any], email: str | None, name: str | None
) -> CheckoutResult:
    private = sb.store.private[session["id"]]
    private["buyer"] = {"email": email or session["customer_email"], "name": name}
    pi = sb.store.get(session["payment_intent"]) if session["payment_intent"] else None
    if pi is None or pi["status"] not in REUSABLE_PI_STATUSES:
        data = dict(private["payment_intent_data"])
        params = {k: v for k, v in data.items() if v not in (None, "")}
        params.update(
            amount=str(session["amount_total"]),
            currency=session["currency"],
            payment_method_types=session["payment_method_types"],
        )
        if session["customer"]:
            params["customer"] = session["customer"]
        pi = payments.create(sb, Params(params), checkout_session=session["id"])
        session["payment_intent"] = pi["id"]
        sb.store.save(session["id"])
    sb.store.private[pi["id"]]["return_url"] = f"{sb.config.public_base_url.rstrip('/')}/c/pay/{session['id']}"
    payments.confirm(sb, pi, Params({"payment_method": pm["id"]}))
    if pi["status"] == "requires_action":
        return CheckoutResult("requires_action", session, pi, pi["next_action"]["redirect_to_url"]["url"])
    return CheckoutResult("complete", session, pi, success_redirect(session))


def complete_with_card(
    sb: ObjectContext,
    session_id: str,
    *,
    number: str,
    exp_month: Any,
    exp_year: Any,
    cvc: str | None = None,
    email: str | None = None,
    name: str | None = None,
) -> CheckoutResult:
    session = _open_session(sb, session_id, "card")
    pm = payment_methods.create_card(sb, number, exp_month, exp_year, cvc, billing={"email": email, "name": name})
    return _pay(sb, session, pm, email, name)


def complete_with_payment_method(
    sb: ObjectContext, session_id: str, payment_method: str, *, email: str | None = None, name: str | None = None
) -> CheckoutResult:
    pm = payment_methods.resolve(sb, payment_method)
    session = _open_session(sb, session_id, pm["type"])
    return _pay(sb, session, pm, email, name)


def complete_with_sepa(
    sb: ObjectContext, session_id: str, *, iban: str, email: str | None = None, name: str | None = None
) -> CheckoutResult:
    session = _open_session(sb, session_id, "sepa_debit")
    pm = payment_methods.create_sepa(sb, iban, billing={"email": email, "name": name})
    return _pay(sb, session, pm, email, name)


def on_payment_intent_changed(sb: ObjectContext, pi: dict[str, Any]) -> None:
    """Keep the session in step with its PaymentIntent and emit the checkout events (a listener
    the engine registers with the payments module)."""
    session_id = sb.store.private[pi["id"]].get("checkout_session")
    if not session_id:
        return
    session = sb.store.get(session_id, "checkout.session")
    if session is None:
        return
    private = sb.store.private[session_id]
    if session["status"] == "open" and pi["status"] in ("succeeded", "requires_capture", "processing"):
        buyer = private.get("buyer") or {}
        session["status"] = "complete"
        session["url"] = None
        # an authorised card (manual capture) counts as paid for Checkout, like a captured one;
        # only a delayed method (SEPA, still processing) completes unpaid
        session["payment_status"] = "unpaid" if pi["status"] == "processing" else "paid"
        session["customer_details"] = customer_details(buyer.get("email"), buyer.get("name"))
        private["async"] = pi["status"] == "processing"
        sb.store.save(session_id)
        private["completed_event"] = sb.bus.emit("checkout.session.completed", session)["id"]
    elif session["status"] == "complete" and session["payment_status"] == "unpaid":
        if pi["status"] == "succeeded":
            session["payment_status"] = "paid"
            sb.store.save(session_id)
            if private.get("async"):
                sb.bus.emit("checkout.session.async_payment_succeeded", session)
        elif private.get("async") and pi["status"] == "requires_payment_method":
            sb.bus.emit("checkout.session.async_payment_failed", session)
