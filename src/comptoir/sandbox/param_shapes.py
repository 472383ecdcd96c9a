"""Every parameter name each route accepts, at every depth, read from stripe-python's request types.

Stripe answers a name it does not know — at the top level, inside a hash
(``payment_intent_data[captur_method]``), inside a list item (``line_items[0][quantty]``) or in a
GET query (``/v1/customers?emial=…``) — with ``400 parameter_unknown`` naming it. The sandbox
used to read what it models and drop the rest, so a misspelt nested option passed here and failed
at Stripe. The names come from the TypedDicts stripe-python 16.1.0 (the pinned SDK, API
2026-10-28.endive) declares for each call, walked at run time so they follow the pin; top-level
POST names are also checked against ``allowed_params.py``, which adds what older API versions and
Stripe.js send. ``metadata`` and other free-form hashes are not checked below their top.
"""

from __future__ import annotations

import importlib
import sys
import typing
from functools import cache
from typing import Any

from stripe._request_options import RequestOptions

from .errors import StripeError, invalid_param

_REQUEST_OPTIONS = frozenset(RequestOptions.__annotations__)

_SDK_PARAMS: dict[tuple[str, str], str] = {
    ("POST", "/v1/customers"): "_customer_create_params.CustomerCreateParams",
    ("GET", "/v1/customers"): "_customer_list_params.CustomerListParams",
    ("GET", "/v1/customers/{id}"): "_customer_retrieve_params.CustomerRetrieveParams",
    ("POST", "/v1/customers/{id}"): "_customer_update_params.CustomerUpdateParams",
    (
        "GET",
        "/v1/customers/{id}/payment_methods",
    ): "_customer_payment_method_list_params.CustomerPaymentMethodListParams",
    ("POST", "/v1/products"): "_product_create_params.ProductCreateParams",
    ("GET", "/v1/products"): "_product_list_params.ProductListParams",
    ("GET", "/v1/products/{id}"): "_product_retrieve_params.ProductRetrieveParams",
    ("POST", "/v1/products/{id}"): "_product_update_params.ProductUpdateParams",
    ("POST", "/v1/prices"): "_price_create_params.PriceCreateParams",
    ("GET", "/v1/prices"): "_price_list_params.PriceListParams",
    ("GET", "/v1/prices/{id}"): "_price_retrieve_params.PriceRetrieveParams",
    ("POST", "/v1/prices/{id}"): "_price_update_params.PriceUpdateParams",
    ("POST", "/v1/payment_methods"): "_payment_method_create_params.PaymentMethodCreateParams",
    ("GET", "/v1/payment_methods"): "_payment_method_list_params.PaymentMethodListParams",
    ("GET", "/v1/payment_methods/{id}"): "_payment_method_retrieve_params.PaymentMethodRetrieveParams",
    ("POST", "/v1/payment_methods/{id}/attach"): "_payment_method_attach_params.PaymentMethodAttachParams",
    ("POST", "/v1/payment_methods/{id}/detach"): "_payment_method_detach_params.PaymentMethodDetachParams",
    ("POST", "/v1/payment_intents"): "_payment_intent_create_params.PaymentIntentCreateParams",
    ("GET", "/v1/payment_intents"): "_payment_intent_list_params.PaymentIntentListParams",
    ("GET", "/v1/payment_intents/{id}"): "_payment_intent_retrieve_params.PaymentIntentRetrieveParams",
    ("POST", "/v1/payment_intents/{id}"): "_payment_intent_update_params.PaymentIntentUpdateParams",
    ("POST", "/v1/payment_intents/{id}/confirm"): "_payment_intent_confirm_params.PaymentIntentConfirmParams",
    ("POST", "/v1/payment_intents/{id}/cancel"): "_payment_intent_cancel_params.PaymentIntentCancelParams",
    ("POST", "/v1/payment_intents/{id}/capture"): "_payment_intent_capture_params.PaymentIntentCaptureParams",
    ("GET", "/v1/charges"): "_charge_list_params.ChargeListParams",
    ("GET", "/v1/charges/{id}"): "_charge_retrieve_params.ChargeRetrieveParams",
    ("POST", "/v1/refunds"): "_refund_create_params.RefundCreateParams",
    ("GET", "/v1/refunds"): "_refund_list_params.RefundListParams",
    ("GET", "/v1/refunds/{id}"): "_refund_retrieve_params.RefundRetrieveParams",
    ("POST", "/v1/refunds/{id}"): "_refund_update_params.RefundUpdateParams",
    ("GET", "/v1/balance_transactions/{id}"): "_balance_transaction_retrieve_params.BalanceTransactionRetrieveParams",
    ("POST", "/v1/checkout/sessions"): "checkout._session_create_params.SessionCreateParams",
    ("GET", "/v1/checkout/sessions"): "checkout._session_list_params.SessionListParams",
    ("GET", "/v1/checkout/sessions/{id}"): "checkout._session_retrieve_params.SessionRetrieveParams",
    (
        "GET",
        "/v1/checkout/sessions/{id}/line_items",
    ): "checkout._session_line_item_list_params.SessionLineItemListParams",
    ("POST", "/v1/checkout/sessions/{id}/expire"): "checkout._session_expire_params.SessionExpireParams",
    ("POST", "/v1/webhook_endpoints"): "_webhook_endpoint_create_params.WebhookEndpointCreateParams",
    ("GET", "/v1/webhook_endpoints"): "_webhook_endpoint_list_params.WebhookEndpointListParams",
    ("GET", "/v1/webhook_endpoints/{id}"): "_webhook_endpoint_retrieve_params.WebhookEndpointRetrieveParams",
    ("POST", "/v1/webhook_endpoints/{id}"): "_webhook_endpoint_update_params.WebhookEndpointUpdateParams",
    ("GET", "/v1/events"): "_event_list_params.EventListParams",
    ("GET", "/v1/events/{id}"): "_event_retrieve_params.EventRetrieveParams",
    ("GET", "/v1/account"): "_account_retrieve_current_params.AccountRetrieveCurrentParams",
}

GET_EXTRAS = frozenset({"client_secret", "delivery_success", "key", "_stripe_version", "_stripe_account"})
"""Query names Stripe takes on GETs without the SDK declaring them: Stripe.js sends the key and
``client_secret``; ``delivery_success`` is the documented filter of undelivered events."""


STRIPE_JS_NESTED = frozenset({"payment_method_data[card]"})
"""Raw card fields Stripe.js sends with a publishable key, which the server SDK does not declare."""


def sdk_params_class(method: str, path: str) -> Any | None:
    name = _SDK_PARAMS.get((method, path))
    if name is None:
        return None
    module, _, attribute = name.rpartition(".")
    return getattr(importlib.import_module(f"stripe.params.{module}"), attribute)


def _is_typed_dict(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, dict) and hasattr(value, "__annotations__")


def _resolve(annotation: Any, owner: type) -> Any:
    """A string or forward reference evaluated in the SDK module that wrote it."""
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        namespace = vars(sys.modules[owner.__module__])
        try:
            return eval(annotation, namespace)  # noqa: S307 (the SDK's own annotation text, no input)
        except Exception:
            return Any
    return annotation


def _shapes(annotation: Any, owner: type) -> tuple[type | None, type | None]:
    """(TypedDict the value may be as a hash, TypedDict its items may be as a list)."""
    annotation = _resolve(annotation, owner)
    as_hash: type | None = annotation if _is_typed_dict(annotation) else None
    as_item: type | None = None
    origin = typing.get_origin(annotation)
    for arg in typing.get_args(annotation):
        arg = _resolve(arg, owner)
        if origin in (list, typing.List):  # noqa: UP006 (the SDK writes List[...])
            inner, _ = _shapes(arg, owner)
            as_item = as_item or inner
        elif _is_typed_dict(arg):
            as_hash = as_hash or arg
        elif typing.get_origin(arg) is not None:
            inner_hash, inner_item = _shapes(arg, owner)
            as_hash, as_item = as_hash or inner_hash, as_item or inner_item
    return as_hash, as_item


@cache
def _fields(cls: type) -> dict[str, Any]:
    """Declared names; the SDK's own request options (``api_key``, ``stripe_version``…), which
    the create and list types inherit, are never sent as parameters."""
    return {name: kind for name, kind in cls.__annotations__.items() if name not in _REQUEST_OPTIONS}


@cache
def _field_shapes(cls: type, name: str) -> tuple[type | None, type | None]:
    """``_shapes`` of one declared field, worked out once per process (it evaluates annotations)."""
    return _shapes(_fields(cls)[name], cls)


def unknown_parameter(params: dict[str, Any], cls: type, top_level_extras: frozenset[str]) -> StripeError | None:
    """Stripe's 400 for the first name ``cls`` does not declare, at any depth, or None."""
    return _check(params, cls, "", top_level_extras | STRIPE_JS_NESTED)


def _check(params: dict[str, Any], cls: type, prefix: str, extras: frozenset[str]) -> StripeError | None:
    fields = _fields(cls)
    for name, value in params.items():
        full = f"{prefix}[{name}]" if prefix else name
        if name not in fields:
            if full in extras:
                continue
            return invalid_param(f"Received unknown parameter: {full}", full, code="parameter_unknown")
        as_hash, as_item = _field_shapes(cls, name)
        if isinstance(value, dict) and as_hash is not None:
            found = _check(value, as_hash, full, extras)
        elif isinstance(value, list) and as_item is not None:
            found = next(
                (
                    error
                    for index, item in enumerate(value)
                    if isinstance(item, dict)
                    for error in [_check(item, as_item, f"{full}[{index}]", extras)]
                    if error is not None
                ),
                None,
            )
        else:
            found = None
        if found is not None:
            return found
    return None
