"""The ``/v1`` route table: each route is a small function from ``Call`` to a JSON dict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import account, catalog, checkout, payment_methods, payments, refunds, webhook_endpoints
from ..allowed_params import ALLOWED_POST_PARAMS
from ..engine import Sandbox
from ..errors import StripeError, authentication_error, invalid_param, invalid_request, resource_missing
from ..ids import new_id
from ..listing import paginate, paginate_in_order
from ..param_shapes import sdk_params_class
from ..params import Params
from .auth import PUBLISHABLE_NOT_ALLOWED
from .plumbing import Call, api_endpoint, error_response

_COMPARISONS: dict[str, Callable[[int, int], bool]] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def _created_filter(p: Params) -> Callable[[dict[str, Any]], bool]:
    """The list's `created` filter (`created=<ts>` or `created[gte]=<ts>`…), parsed before any object
    is read: a value that is no integer is Stripe's 400 `parameter_invalid_integer`, even on an empty list."""
    created = p.raw("created")
    if created is None or created == "":
        return lambda _obj: True
    if isinstance(created, str):
        exact = Params({"created": created}).int("created")
        return lambda obj: obj["created"] == exact
    if not isinstance(created, dict):
        raise invalid_param(f"Invalid integer: {created}", "created", code="parameter_invalid_integer")
    bounds = Params(created, "created")
    tests = [(_COMPARISONS[op], bound) for op in _COMPARISONS if (bound := bounds.int(op)) is not None]
    return lambda obj: all(test(obj["created"], bound) for test, bound in tests)


def list_objects(kind: str, url: str, object_name: str, filters: tuple[str, ...] = ()):
    def handler(call: Call) -> dict[str, Any]:
        p = call.params
        wanted = {f: p.str(f) for f in filters if p.str(f) is not None}
        active = p.bool("active") if p.has("active") else None
        created_ok = _created_filter(p)
        items = (
            o
            for o in call.sb.store.newest_first(kind)
            if all(o.get(f) == v for f, v in wanted.items())
            and (active is None or o.get("active") == active)
            and created_ok(o)
        )
        return paginate(items, p, url, call.sb.store.seq_of, object_name)

    return handler


def _publishable_guard(call: Call, pi: dict[str, Any]) -> None:
    if call.publishable and call.params.str("client_secret") != pi["client_secret"]:
        raise authentication_error(PUBLISHABLE_NOT_ALLOWED)


# --- payment intents -------------------------------------------------------------------------


def pi_retrieve(call: Call) -> dict[str, Any]:
    pi = payments.get(call.sb, call.path["id"])
    _publishable_guard(call, pi)
    return pi


def pi_confirm(call: Call) -> dict[str, Any]:
    pi = payments.get(call.sb, call.path["id"])
    _publishable_guard(call, pi)
    return payments.confirm(call.sb, pi, call.params)


def pm_create(call: Call) -> dict[str, Any]:
    return payment_methods.create_from_params(call.sb, call.params)


def pm_retrieve(call: Call) -> dict[str, Any]:
    return catalog.get(call.sb, "payment_method", call.path["id"])


def pm_attach(call: Call) -> dict[str, Any]:
    pm = catalog.get(call.sb, "payment_method", call.path["id"])
    return payment_methods.attach(call.sb, pm, call.params.str("customer", required=True))


def pm_detach(call: Call) -> dict[str, Any]:
    return payment_methods.detach(call.sb, catalog.get(call.sb, "payment_method", call.path["id"]))


def customer_payment_methods(call: Call) -> dict[str, Any]:
    customer = catalog.get(call.sb, "customer", call.path["id"])
    call.params.data["customer"] = customer["id"]
    return list_objects(
        "payment_method", f"/v1/customers/{customer['id']}/payment_methods", "payment_method", ("customer", "type")
    )(call)


# --- checkout --------------------------------------------------------------------------------


def cs_line_items(call: Call) -> dict[str, Any]:
    session_id = call.path["id"]
    return paginate_in_order(
        checkout.line_items(call.sb, session_id), call.params, f"/v1/checkout/sessions/{session_id}/line_items"
    )


# --- events ----------------------------------------------------------------------------------


def events_list(call: Call) -> dict[str, Any]:
    p = call.params
    sb = call.sb
    types = [str(t) for t in p.list("types")]
    single = p.str("type")
    if single:
        types.append(single)
    delivery = p.bool("delivery_success") if p.has("delivery_success") else None

    def type_ok(event_type: str) -> bool:
        if not types:
            return True
        return any(event_type == t or (t.endswith("*") and event_type.startswith(t[:-1])) for t in types)

    created_ok = _created_filter(p)
    items = (
        e
        for e in sb.store.newest_first("event")
        if type_ok(e["type"]) and created_ok(e) and (delivery is None or sb.bus.delivery_succeeded(e["id"]) == delivery)
    )
    return paginate(items, p, "/v1/events", sb.store.seq_of, "event")


def _get(kind: str, name: str | None = None):
    def handler(call: Call) -> dict[str, Any]:
        obj = call.sb.store.get(call.path["id"], kind)
        if obj is None:
            raise resource_missing(name or kind, call.path["id"])
        return obj

    return handler


def _with(kind: str, fn, name: str | None = None):
    getter = _get(kind, name)

    def handler(call: Call) -> dict[str, Any]:
        return fn(call.sb, getter(call), call.params)

    return handler


def _create(fn):
    def handler(call: Call) -> dict[str, Any]:
        return fn(call.sb, call.params)

    return handler


def build_routes(sb: Sandbox) -> list[Route]:
    def r(path: str, method: str, handler, publishable_ok: bool = False) -> Route:
        allowed = ALLOWED_POST_PARAMS.get(path) if method == "POST" else None
        shape = sdk_params_class(method, path)
        endpoint = api_endpoint(sb, handler, publishable_ok=publishable_ok, allowed=allowed, shape=shape)
        return Route(path, endpoint, methods=[method])

    routes = [
        r("/v1/customers", "POST", _create(catalog.create_customer)),
        r("/v1/customers", "GET", list_objects("customer", "/v1/customers", "customer", ("email",))),
        r("/v1/customers/{id}", "GET", _get("customer")),
        r("/v1/customers/{id}", "POST", _with("customer", catalog.update_customer)),
        r("/v1/products", "POST", _create(catalog.create_product)),
        r("/v1/products", "GET", list_objects("product", "/v1/products", "product")),
        r("/v1/products/{id}", "GET", _get("product")),
        r("/v1/products/{id}", "POST", _with("product", catalog.update_product)),
        r("/v1/prices", "POST", _create(catalog.create_price)),
        r("/v1/prices", "GET", list_objects("price", "/v1/prices", "price", ("product", "currency", "type"))),
        r("/v1/prices/{id}", "GET", _get("price")),
        r("/v1/prices/{id}", "POST", _with("price", catalog.update_price)),
        r("/v1/payment_methods", "POST", pm_create, publishable_ok=True),
        r(
            "/v1/payment_methods",
            "GET",
            list_objects("payment_method", "/v1/payment_methods", "payment_method", ("customer", "type")),
        ),
        r("/v1/payment_methods/{id}", "GET", pm_retrieve),
        r("/v1/payment_methods/{id}/attach", "POST", pm_attach),
        r("/v1/payment_methods/{id}/detach", "POST", pm_detach),
        r("/v1/customers/{id}/payment_methods", "GET", customer_payment_methods),
        r("/v1/payment_intents", "POST", _create(payments.create)),
        r(
            "/v1/payment_intents",
            "GET",
            list_objects("payment_intent", "/v1/payment_intents", "payment_intent", ("customer",)),
        ),
        r("/v1/payment_intents/{id}", "GET", pi_retrieve, publishable_ok=True),
        r("/v1/payment_intents/{id}", "POST", _with("payment_intent", payments.update)),
        r("/v1/payment_intents/{id}/confirm", "POST", pi_confirm, publishable_ok=True),
        r("/v1/payment_intents/{id}/cancel", "POST", _with("payment_intent", payments.cancel)),
        r("/v1/payment_intents/{id}/capture", "POST", _with("payment_intent", payments.capture)),
        r("/v1/charges", "GET", list_objects("charge", "/v1/charges", "charge", ("customer", "payment_intent"))),
        r("/v1/charges/{id}", "GET", _get("charge")),
        r("/v1/refunds", "POST", _create(refunds.create)),
        r("/v1/refunds", "GET", list_objects("refund", "/v1/refunds", "refund", ("charge", "payment_intent"))),
        r("/v1/refunds/{id}", "GET", _get("refund")),
        r("/v1/balance_transactions/{id}", "GET", _get("balance_transaction")),
        r("/v1/refunds/{id}", "POST", _with("refund", refunds.update)),
        r("/v1/checkout/sessions", "POST", _create(checkout.create)),
        r(
            "/v1/checkout/sessions",
            "GET",
            list_objects(
                "checkout.session",
                "/v1/checkout/sessions",
                "checkout.session",
                ("payment_intent", "customer", "status"),
            ),
        ),
        r("/v1/checkout/sessions/{id}", "GET", _get("checkout.session")),
        r("/v1/checkout/sessions/{id}/line_items", "GET", cs_line_items),
        r("/v1/checkout/sessions/{id}/expire", "POST", _with("checkout.session", checkout.expire)),
        r("/v1/webhook_endpoints", "POST", _create(webhook_endpoints.create)),
        r(
            "/v1/webhook_endpoints",
            "GET",
            list_objects("webhook_endpoint", "/v1/webhook_endpoints", "webhook_endpoint"),
        ),
        r("/v1/webhook_endpoints/{id}", "GET", _get("webhook_endpoint")),
        r("/v1/webhook_endpoints/{id}", "POST", _with("webhook_endpoint", webhook_endpoints.update)),
        r(
            "/v1/webhook_endpoints/{id}",
            "DELETE",
            lambda call: webhook_endpoints.delete(call.sb, webhook_endpoints.get(call.sb, call.path["id"])),
        ),
        r("/v1/events", "GET", events_list),
        r("/v1/events/{id}", "GET", _get("event")),
        r("/v1/account", "GET", lambda call: account.account(call.sb)),
    ]
    routes.append(Route("/v1/{rest:path}", unrecognized(sb), methods=["GET", "POST", "DELETE", "PUT", "PATCH"]))
    return routes


def unrecognized(sb: Sandbox):
    async def endpoint(request: Request) -> Response:
        error: StripeError = invalid_request(
            f"Unrecognized request URL ({request.method}: {request.url.path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/."
        )
        error.http_status = 404
        return error_response(
            sb, error, new_id("req", 14), request.headers.get("stripe-version") or sb.config.api_version
        )

    return endpoint
