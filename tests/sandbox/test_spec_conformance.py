"""Everything the sandbox answers and every event it sends is valid against Stripe's OpenAPI spec.

One run drives every ``/v1`` route the sandbox serves with the official SDK (success and error
answers, lists and expansions) and fires every event-type fixture of ``comptoir sandbox trigger``
plus the flows comptoir uses (3-D Secure, manual capture, attach/detach, updates), with a webhook
endpoint on a local receiver. Each raw HTTP body is checked against the spec's response schema for
its operation, each delivered event against ``event`` and its ``data.object`` against the schema of
its ``object`` type. Which routes, object types and event types must be covered is read from the
sandbox itself (its route table, its object builders, its ``bus.emit`` calls), so a new one without
a check fails here.

The spec is from 2023-09; the sandbox serves API 2026-10-28.endive. The fields Stripe added since are
allowed only where ``SPEC_PREDATES`` names them (each is listed in ``sandbox/NOTES.md``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import stripe

from comptoir.sandbox.faults import Faults
from comptoir.sandbox.http.routes import build_routes
from comptoir.sandbox.triggers import FIXTURES, TriggerApi
from tests.sandbox.openapi_validation import SpecValidator, spec_or_skip
from tests.sandbox.webhook_harness import Receiver, RunningSandbox, running_receiver, running_sandbox

DELIVERY_DEADLINE = 120.0
"""Seconds allowed for every event of the run (over a hundred) to reach the receiver on a loaded machine."""
SANDBOX_SOURCE = Path(__file__).resolve().parents[2] / "src" / "comptoir" / "sandbox"

SPEC_PREDATES: dict[str, set[str]] = {
    "account_bacs_debit_payments_settings": {"display_name", "service_user_number"},  # display_name now nullable
    "account_settings": {"invoices"},
    "account_business_profile": {"annual_revenue", "estimated_worker_count", "minority_owned_business_designation"},
    "api_errors": {"advice_code", "network_advice_code", "network_decline_code"},
    "balance_transaction": {"balance_type"},
    "billing_details": {"tax_id"},
    "charge": {"source"},
    "charge_outcome": {"advice_code", "network_advice_code", "network_decline_code"},
    "checkout.session": {
        "adaptive_pricing",
        "client_secret",
        "collected_information",
        "customer_account",
        "discounts",
        "integration_identifier",
        "managed_payments",
        "origin_context",
        "payment_method_configuration_details",
        "permissions",
        "saved_payment_method_options",
        "ui_mode",
        "wallet_options",
    },
    "item": {"adjustable_quantity", "metadata"},
    "payment_intent": {
        "customer_account",
        "excluded_payment_method_types",
        "managed_payments",
        "payment_method_configuration_details",
        "source",
    },
    "payment_method": {"allow_redisplay", "customer_account"},
    "payment_method_card": {"display_brand", "regulated_status"},
    "payment_method_details_card": {
        "amount_authorized",
        "authorization_code",
        "extended_authorization",
        "incremental_authorization",
        "multicapture",
        "network_transaction_id",
        "overcapture",
        "regulated_status",
        "transaction_link_id",
    },
    "payment_pages_checkout_session_automatic_tax": {"liability", "provider"},
    "payment_pages_checkout_session_custom_text": {"after_submit", "terms_of_service_acceptance"},
    "payment_pages_checkout_session_customer_details": {"business_name", "individual_name"},
    "payment_pages_checkout_session_invoice_settings": {"issuer"},
    "product": {"marketing_features", "type"},
    "three_d_secure_details_charge": {"electronic_commerce_indicator", "exemption_indicator", "transaction_id"},
    "refund": {"customer", "customer_account", "destination_details", "payment_method"},
}
"""Component schema -> fields the sandbox serves that the 2023-09 spec predates (added, or since made
nullable), each in stripe-python 16.1.0's models and listed in ``sandbox/NOTES.md``. Any value is allowed."""

SPEC_DROPPED: dict[str, set[str]] = {"product": {"features"}}
"""Component schema -> required fields Stripe removed after 2023-09 (``features``: now ``marketing_features``)."""


@dataclass
class Exchange:
    method: str
    path: str
    status: int
    body: Any


@dataclass
class RecordingClient(stripe.RequestsClient):
    """The SDK's own HTTP client, keeping every raw answer the sandbox gave."""

    exchanges: list[Exchange] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def request(self, method: str, url: str, headers: Any, post_data: Any = None, **kwargs: Any) -> Any:
        content, status, response_headers = super().request(method, url, headers, post_data, **kwargs)
        path = url.split("://", 1)[1].split("/", 1)[1].split("?", 1)[0]
        self.exchanges.append(Exchange(method.upper(), "/" + path, status, json.loads(content)))
        return content, status, response_headers


@dataclass
class Run:
    box: RunningSandbox
    receiver: Receiver
    exchanges: list[Exchange]
    events: list[dict[str, Any]]


@pytest.fixture(scope="module")
def validator() -> SpecValidator:
    return SpecValidator(spec_or_skip(), SPEC_PREDATES, SPEC_DROPPED)


@pytest.fixture(scope="module")
def run(validator: SpecValidator) -> Iterator[Run]:
    recorder = RecordingClient()
    with running_receiver() as receiver, running_sandbox(faults=Faults()) as box:
        client = stripe.StripeClient(
            box.running.secret_key, base_addresses={"api": box.url}, http_client=recorder, max_network_retries=0
        )
        box.endpoint(receiver.url)
        _drive_every_route(box, client)
        api = TriggerApi(client, lambda method, path, body: box.control(method, "/" + path, body))
        for fixture in FIXTURES.values():
            fixture(api)
        _drive_comptoir_flows(box, client)
        expected = {event["id"] for event in box.running.sandbox.store.newest_first("event")}
        receiver.wait_for(lambda got: {d.event["id"] for d in got} >= expected, timeout=DELIVERY_DEADLINE)
        yield Run(box, receiver, recorder.exchanges, [d.event for d in receiver.deliveries])
    recorder.close()


def _card(client: stripe.StripeClient, number: str) -> str:
    card = {"number": number, "exp_month": 12, "exp_year": 2034}
    return client.v1.payment_methods.create({"type": "card", "card": card}).id


def _drive_every_route(box: RunningSandbox, client: stripe.StripeClient) -> None:
    """Each ``/v1`` route once at least, with the expansions integrations ask for and some refusals."""
    v1 = client.v1
    customer = v1.customers.create({"email": "spec@example.com", "name": "Spec", "metadata": {"k": "v"}})
    v1.customers.update(customer.id, {"name": "Spec Two"})
    v1.customers.retrieve(customer.id)
    v1.customers.list({"email": "spec@example.com"})
    product = v1.products.create({"name": "Spec"})
    v1.products.update(product.id, {"description": "described"})
    v1.products.retrieve(product.id)
    v1.products.list()
    price = v1.prices.create({"product": product.id, "unit_amount": 500, "currency": "eur"})
    v1.prices.update(price.id, {"nickname": "five"})
    v1.prices.retrieve(price.id, {"expand": ["product"]})
    v1.prices.list()
    pm = _card(client, "4242424242424242")
    v1.payment_methods.attach(pm, {"customer": customer.id})
    v1.payment_methods.retrieve(pm)
    v1.payment_methods.list({"customer": customer.id, "type": "card"})
    v1.customers.payment_methods.list(customer.id)
    v1.payment_methods.detach(pm)
    pi = v1.payment_intents.create({"amount": 1500, "currency": "eur", "payment_method_types": ["card"]})
    v1.payment_intents.update(pi.id, {"amount": 1600, "metadata": {"order": "1"}})
    v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
    v1.payment_intents.retrieve(pi.id, {"expand": ["latest_charge", "payment_method"]})
    v1.payment_intents.list()
    held = v1.payment_intents.create(
        {
            "amount": 900,
            "currency": "eur",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "capture_method": "manual",
        }
    )
    v1.payment_intents.capture(held.id, {"amount_to_capture": 700})
    v1.payment_intents.cancel(v1.payment_intents.create({"amount": 800, "currency": "eur"}).id)
    charge = v1.charges.retrieve(pi.latest_charge or v1.payment_intents.retrieve(pi.id).latest_charge)
    v1.charges.retrieve(charge.id, {"expand": ["refunds"]})
    v1.charges.list({"payment_intent": pi.id})
    refund = v1.refunds.create({"payment_intent": pi.id, "amount": 100})
    v1.refunds.update(refund.id, {"metadata": {"why": "spec"}})
    v1.refunds.retrieve(refund.id)
    v1.refunds.list({"payment_intent": pi.id})
    failing = v1.payment_intents.create(
        {"amount": 700, "currency": "eur", "payment_method": "pm_card_refundFail", "confirm": True}
    )
    failed = v1.refunds.create({"payment_intent": failing.id})
    box.control("POST", "/clock/advance", {"seconds": 3600})
    v1.balance_transactions.retrieve(v1.refunds.retrieve(failed.id).failure_balance_transaction)
    session = v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [{"price": price.id, "quantity": 2}],
            "success_url": "https://shop.example/ok",
            "customer": customer.id,
        }
    )
    expand = ["line_items", "line_items.data.discounts", "total_details.breakdown", "customer"]
    v1.checkout.sessions.retrieve(session.id, {"expand": expand})
    v1.checkout.sessions.line_items.list(session.id)
    v1.checkout.sessions.list({"customer": customer.id})
    v1.checkout.sessions.expire(session.id)
    endpoint = v1.webhook_endpoints.create({"url": "https://shop.example/hook", "enabled_events": ["charge.failed"]})
    v1.webhook_endpoints.update(endpoint.id, {"description": "spec"})
    v1.webhook_endpoints.retrieve(endpoint.id)
    v1.webhook_endpoints.list()
    v1.webhook_endpoints.delete(endpoint.id)
    event = v1.events.list({"limit": 3}).data[0]
    v1.events.retrieve(event.id)
    v1.accounts.retrieve_current()
    _refusals(client)


def _refusals(client: stripe.StripeClient) -> None:
    """Error bodies: a missing object, a decline (402 with the intent), a bad parameter, a bad key."""
    v1 = client.v1
    attempts = [
        lambda: v1.customers.retrieve("cus_missing"),
        lambda: v1.payment_intents.create(
            {"amount": 1000, "currency": "eur", "payment_method": "pm_card_visa_chargeDeclined", "confirm": True}
        ),
        lambda: v1.payment_intents.create({"amount": 10, "currency": "eur"}),
        lambda: v1.customers.create({"unknown_parameter": "x"}),
        lambda: v1.charges.list({"expand": ["data.payment_method"]}),
        lambda: v1.products.list(options={"api_key": "sk_test_not_a_key_of_this_sandbox"}),
    ]
    for attempt in attempts:
        with pytest.raises(stripe.StripeError):
            attempt()


def _drive_comptoir_flows(box: RunningSandbox, client: stripe.StripeClient) -> None:
    """What comptoir does beyond the trigger fixtures: 3-D Secure and a customer saving a card."""
    v1 = client.v1
    challenged = v1.payment_intents.create(
        {
            "amount": 2500,
            "currency": "eur",
            "payment_method": "pm_card_threeDSecure2Required",
            "confirm": True,
            "return_url": "https://shop.example/back",
        }
    )
    box.running.sandbox.complete_3ds(challenged.id)
    refused = v1.payment_intents.create(
        {
            "amount": 2500,
            "currency": "eur",
            "payment_method": "pm_card_threeDSecure2Required",
            "confirm": True,
            "return_url": "https://shop.example/back",
        }
    )
    box.running.sandbox.fail_3ds(refused.id)
    customer = v1.customers.create({"email": "saver@example.com"})
    v1.payment_intents.create(
        {
            "amount": 3000,
            "currency": "eur",
            "customer": customer.id,
            "payment_method": "pm_card_visa",
            "setup_future_usage": "off_session",
            "confirm": True,
        }
    )
    v1.payment_intents.create(
        {
            "amount": 1200,
            "currency": "eur",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "capture_method": "manual",
        }
    )
    box.control("POST", "/clock/advance", {"seconds": 7 * 24 * 3600 + 3600})


def test_every_answer_matches_its_operation_in_the_spec(run: Run, validator: SpecValidator) -> None:
    # given every exchange of the run
    violations = []
    unknown = set()
    # when each raw body is validated against the spec's response for its operation
    for exchange in run.exchanges:
        template = validator.operation(exchange.path)
        if template is None:
            unknown.add(exchange.path)
            continue
        found = validator.response_violations(exchange.method, template, exchange.status, exchange.body)
        violations += [f"{exchange.method} {exchange.path} {exchange.status}: {v}" for v in found]
    # then
    assert unknown == set(), "paths the spec does not have"
    assert violations == [], "\n".join(violations)


def test_every_route_the_sandbox_serves_was_exercised_with_a_success(run: Run, validator: SpecValidator) -> None:
    # given the sandbox's own route table
    served = {
        (method, route.path)
        for route in build_routes(run.box.running.sandbox)
        if route.path.startswith("/v1/") and "{rest" not in route.path
        for method in route.methods or ()
        if method != "HEAD"
    }
    # when the run's successful exchanges are mapped onto them
    pattern = {(m, p): re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$") for m, p in served}
    hit = {
        (m, p)
        for (m, p), rx in pattern.items()
        for x in run.exchanges
        if x.method == m and x.status == 200 and rx.match(x.path)
    }
    # then
    assert served - hit == set()
    assert all(validator.operation(path) for _, path in served)


def test_every_error_body_is_stripes_error_object(run: Run, validator: SpecValidator) -> None:
    # given the refusals of the run (the SDK raised on each)
    errors = [x for x in run.exchanges if x.status >= 400]
    # when
    statuses = {x.status for x in errors}
    violations = [f"{x.path}: {v}" for x in errors for v in validator.component_violations("error", x.body)]
    # then
    assert {400, 401, 402, 404} <= statuses
    assert violations == [], "\n".join(violations)


def _builder_object_types() -> set[str]:
    """The ``object`` values the sandbox's builders and routes put in a body (control API aside)."""
    found = set()
    for source in SANDBOX_SOURCE.rglob("*.py"):
        found |= set(re.findall(r'"object":\s*"([a-z_.]+)"', source.read_text(encoding="utf-8")))
    return {kind for kind in found if not kind.startswith("sandbox.")}


def _object_types_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("object"), str):
            yield value["object"]
        for inner in value.values():
            yield from _object_types_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _object_types_in(inner)


def test_every_object_type_the_sandbox_builds_was_served_and_checked(run: Run, validator: SpecValidator) -> None:
    # given the object types the builders produce
    built = _builder_object_types()
    # when the types seen in validated answers and events are gathered
    seen = {kind for x in run.exchanges for kind in _object_types_in(x.body)}
    seen |= {kind for event in run.events for kind in _object_types_in(event)}
    # then every built type was served, and each has a schema in the spec
    assert built - seen == set()
    assert {kind for kind in built if kind != "list" and kind not in validator.by_object} == set()


def test_the_validator_catches_an_unknown_field_a_wrong_type_and_a_missing_field(
    run: Run, validator: SpecValidator
) -> None:
    # given a charge the sandbox served, then spoilt three ways
    served = next(x.body for x in run.exchanges if x.status == 200 and x.body.get("object") == "charge")
    spoilt = {**served, "amount": "2000", "invented": True}
    del spoilt["currency"]
    # when
    violations = validator.component_violations("charge", spoilt)
    # then
    assert validator.component_violations("charge", served) == []
    assert any("invented" in v for v in violations)
    assert any("amount" in v for v in violations)
    assert any("currency" in v for v in violations)


def _emitted_event_types() -> set[str]:
    """Every event type named on a line that emits one (both branches of a conditional included)."""
    found = set()
    for source in SANDBOX_SOURCE.rglob("*.py"):
        for line in source.read_text(encoding="utf-8").splitlines():
            if "bus.emit(" in line:
                found |= set(re.findall(r'"([a-z_]+(?:\.[a-z_]+)+)"', line))
    return found


def test_every_event_type_the_sandbox_emits_was_delivered(run: Run) -> None:
    # given the event types in the sandbox's emit calls
    emitted = _emitted_event_types()
    # when
    delivered = {event["type"] for event in run.events}
    # then
    assert emitted - delivered == set()


def test_every_delivered_event_matches_the_spec(run: Run, validator: SpecValidator) -> None:
    # given every webhook body the receiver got
    violations = []
    # when the envelope is checked against `event` and its object against its own type
    for event in run.events:
        violations += [f"{event['type']} {event['id']}: {v}" for v in validator.component_violations("event", event)]
        obj = event["data"]["object"]
        schema = validator.by_object.get(obj.get("object"))
        if schema is None:
            violations.append(f"{event['type']}: no schema for object {obj.get('object')!r}")
            continue
        found = validator.component_violations(schema, obj)
        violations += [f"{event['type']} {event['id']} data.object: {v}" for v in found]
    # then
    assert len(run.events) > 40
    assert violations == [], "\n".join(violations)
