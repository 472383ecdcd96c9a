"""API fault injection: seeded 500s, 429s, slow and lost responses, and what a retry makes of them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import stripe

from comptoir.adapters.stripe_gateway import StripeGateway
from comptoir.sandbox.api_faults import ApiFaultPlan, ApiFaults
from comptoir.sandbox.faults import FaultError
from comptoir.services.payments.provider import PaymentIntentRequest
from tests.support.sandbox import API_KEY, RunningSandbox

PI_CREATE = "POST /v1/payment_intents"


@pytest.fixture
def faults(running: RunningSandbox) -> Iterator[ApiFaultPlan]:
    plan: ApiFaultPlan = running.server.config.app.state.api_faults
    yield plan
    plan.replace(ApiFaults())


@pytest.fixture(scope="module")
def retrying(running: RunningSandbox) -> stripe.StripeClient:
    """The SDK as shipped: it retries connection errors, 5xx and Stripe-Should-Retry answers, same key."""
    return running.client(max_network_retries=2)


def _intents_for(client: stripe.StripeClient, marker: str) -> list[str]:
    return [
        pi.id
        for pi in client.v1.payment_intents.list({"limit": 100}).data
        if pi.metadata.to_dict().get("marker") == marker
    ]


def _create(client: stripe.StripeClient, marker: str, key: str) -> stripe.PaymentIntent:
    params = {"amount": 1500, "currency": "eur", "payment_method_types": ["card"], "metadata": {"marker": marker}}
    return client.v1.payment_intents.create(params, {"idempotency_key": key})


def test_a_lost_response_to_a_create_retried_with_the_same_key_leaves_one_payment_intent(
    running: RunningSandbox, faults: ApiFaultPlan, client: stripe.StripeClient, retrying: stripe.StripeClient
) -> None:
    # given: the next PaymentIntent create is executed but its response is lost
    faults.replace(ApiFaults(lost=1.0, paths=(PI_CREATE,), limit=1))
    marker, key = uuid.uuid4().hex, f"order:{uuid.uuid4().hex}:pi"
    # when: the official SDK sends it with retries on (it retries a dropped connection with the same key)
    intent = _create(retrying, marker, key)
    # then: one PaymentIntent exists, the one the retry was given
    assert _intents_for(client, marker) == [intent.id]
    logged = [e for e in running.server.config.app.state.request_log.after(0, 1000) if e.idempotency_key == key]
    assert [(e.fault, e.replayed) for e in logged] == [("lost", False), (None, True)]


def test_comptoirs_gateway_survives_a_lost_payment_intent_create(
    running: RunningSandbox, faults: ApiFaultPlan, client: stripe.StripeClient
) -> None:
    # given: comptoir's gateway on the sandbox, and the next create's response lost
    faults.replace(ApiFaults(lost=1.0, paths=(PI_CREATE,), limit=1))
    gateway = StripeGateway(API_KEY, ["whsec_unused"], api_base=running.base_url)
    order_id = uuid.uuid4().hex
    # when
    intent = gateway.create_payment_intent(
        PaymentIntentRequest(order_id=order_id, amount=2500, currency="EUR"), idempotency_key=f"order:{order_id}:pi:1"
    )
    # then
    found = [
        pi.id
        for pi in client.v1.payment_intents.list({"limit": 100}).data
        if pi.metadata.to_dict().get("order_id") == order_id
    ]
    assert found == [intent.id]


def test_comptoirs_gateway_retries_a_rate_limited_create_with_the_same_key(
    running: RunningSandbox, faults: ApiFaultPlan
) -> None:
    # given: the next PaymentIntent create is refused 429 rate_limit (no Stripe-Should-Retry: the SDK alone gives up)
    faults.replace(ApiFaults(rate_limit=1.0, paths=(PI_CREATE,), limit=1))
    gateway = StripeGateway(API_KEY, ["whsec_unused"], api_base=running.base_url)
    order_id, key = uuid.uuid4().hex, f"order:{uuid.uuid4().hex}:pi:1"
    # when
    intent = gateway.create_payment_intent(
        PaymentIntentRequest(order_id=order_id, amount=2500, currency="EUR"), idempotency_key=key
    )
    # then: served at the second try, under the same key
    logged = [e for e in running.server.config.app.state.request_log.after(0, 1000) if e.idempotency_key == key]
    assert [(e.status, e.fault) for e in logged] == [(429, "rate_limit"), (200, None)]
    assert intent.id.startswith("pi_")


def test_without_retries_a_lost_response_is_a_connection_error_yet_the_object_exists(
    running: RunningSandbox, faults: ApiFaultPlan, client: stripe.StripeClient
) -> None:
    # given
    faults.replace(ApiFaults(lost=1.0, paths=(PI_CREATE,), limit=1))
    marker = uuid.uuid4().hex
    # when
    with pytest.raises(stripe.APIConnectionError):
        _create(client, marker, uuid.uuid4().hex)
    # then: the work was done before the answer was lost
    assert len(_intents_for(client, marker)) == 1


def test_a_500_is_not_saved_under_the_key_so_the_retry_creates_the_object_once(
    running: RunningSandbox, faults: ApiFaultPlan, client: stripe.StripeClient
) -> None:
    # given
    faults.replace(ApiFaults(error=1.0, paths=(PI_CREATE,), limit=1))
    marker, key = uuid.uuid4().hex, uuid.uuid4().hex
    # when: no retry first, then the caller retries with the same key
    with pytest.raises(stripe.APIError) as raised:
        _create(client, marker, key)
    assert raised.value.http_status == 500
    assert raised.value.error.type == "api_error"
    assert _intents_for(client, marker) == []
    intent = _create(client, marker, key)
    # then
    assert _intents_for(client, marker) == [intent.id]


def test_a_lock_timeout_says_retry_and_the_sdk_does(
    running: RunningSandbox, faults: ApiFaultPlan, client: stripe.StripeClient, retrying: stripe.StripeClient
) -> None:
    # given
    faults.replace(ApiFaults(lock_timeout=1.0, paths=(PI_CREATE,), limit=1))
    marker, key = uuid.uuid4().hex, uuid.uuid4().hex
    # when
    intent = _create(retrying, marker, key)
    # then
    assert _intents_for(client, marker) == [intent.id]
    logged = [e for e in running.server.config.app.state.request_log.after(0, 1000) if e.idempotency_key == key]
    assert [(e.status, e.fault) for e in logged] == [(429, "lock_timeout"), (200, None)]


def test_a_rate_limit_is_a_429_with_stripes_code(
    running: RunningSandbox, faults: ApiFaultPlan, client: stripe.StripeClient, retrying: stripe.StripeClient
) -> None:
    # given
    faults.replace(ApiFaults(rate_limit=1.0, paths=("/v1/payment_intents*",), limit=1))
    # when
    with pytest.raises(stripe.RateLimitError) as raised:
        retrying.v1.payment_intents.list()
    # then: not retried by the SDK (no Stripe-Should-Retry), and the next request is served
    assert raised.value.http_status == 429
    assert raised.value.error.code == "rate_limit"
    assert client.v1.payment_intents.list({"limit": 1}).object == "list"


def test_faults_hit_only_the_paths_asked_for(
    running: RunningSandbox, faults: ApiFaultPlan, client: stripe.StripeClient
) -> None:
    # given
    faults.replace(ApiFaults(error=1.0, paths=("/v1/refunds*",)))
    # when / then
    assert client.v1.payment_intents.list({"limit": 1}).object == "list"
    with pytest.raises(stripe.APIError):
        client.v1.refunds.list()


def test_the_same_seed_gives_the_same_faults() -> None:
    # given
    settings = ApiFaults(error=0.2, rate_limit=0.1, lost=0.1, slow=0.3, delay=(0.5, 2.0), seed=7)
    # when
    plans = [ApiFaultPlan(settings), ApiFaultPlan(settings)]
    runs = [[plan.decide("POST", "/v1/refunds") for _ in range(50)] for plan in plans]
    # then
    assert runs[0] == runs[1]
    assert {decision.kind for decision in runs[0]} == {None, "error", "rate_limit", "lost"}


@pytest.mark.parametrize(
    "data",
    [{"error": 1.5}, {"error": 0.6, "lost": 0.6}, {"delay": "3-1"}, {"limit": -1}, {"errors": 0.1}, {"paths": [" "]}],
)
def test_settings_that_cannot_be_used_are_refused(data: dict) -> None:
    with pytest.raises(FaultError):
        ApiFaults.from_dict(data)


def test_the_control_api_sets_shows_and_refuses_api_faults() -> None:
    from tests.sandbox.webhook_harness import running_sandbox

    connection = stripe.RequestsClient()
    with running_sandbox() as box:
        sdk = stripe.StripeClient(box.running.secret_key, base_addresses={"api": box.url}, http_client=connection)
        # given
        box.control("PUT", "/api_faults", {"error": 1, "paths": ["/v1/customers*"], "seed": 3, "limit": 1})
        # when
        with pytest.raises(stripe.APIError):
            sdk.v1.customers.list(options={"max_network_retries": 0})
        sdk.v1.customers.list()
        connection.close()
        shown = box.control("GET", "/api_faults")
        # then
        assert shown["error"] == 1.0 and shown["paths"] == ["/v1/customers*"]
        assert (shown["injected"], shown["injected_by_kind"]) == (1, {"error": 1})
        assert "unknown" in box.control("PUT", "/api_faults", {"eror": 1}, expect=400)["error"]["message"]
        logged = box.control("GET", "/logs?limit=2")["data"]
        assert [(e["status"], e["fault"]) for e in logged] == [(500, "error"), (200, None)]
