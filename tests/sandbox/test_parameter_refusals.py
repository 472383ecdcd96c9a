"""Names Stripe does not know, at any depth and in GET queries, and webhook endpoint settings:
refused as Stripe refuses them rather than silently ignored."""

from __future__ import annotations

import httpx
import pytest
import stripe

from tests.support.sandbox import API_KEY

_BREAD = {"currency": "eur", "unit_amount": 300, "product_data": {"name": "Pain"}}


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"payment_intent_data": {"captur_method": "manual"}}, "payment_intent_data[captur_method]"),
        ({"line_items": [{"price_data": _BREAD, "quantty": 1}]}, "line_items[0][quantty]"),
        (
            {"line_items": [{"price_data": {**_BREAD, "product_data": {"nme": "x"}}, "quantity": 1}]},
            "line_items[0][price_data][product_data][nme]",
        ),
    ],
)
def test_an_unknown_nested_post_parameter_is_refused_naming_it(client, params, name):
    # given a Checkout Session create with a misspelt nested option
    body = {"mode": "payment", "line_items": [{"price_data": _BREAD, "quantity": 1}], **params}
    # when it is sent, then Stripe's parameter_unknown names the full path
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(body)
    assert (raised.value.http_status, raised.value.code, raised.value.param) == (400, "parameter_unknown", name)
    assert raised.value.error.message == f"Received unknown parameter: {name}"


def test_known_nested_parameters_and_free_form_metadata_still_pass(client):
    # given nested options the SDK declares, and metadata with any keys
    session = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [{"price_data": _BREAD, "quantity": 1}],
            "payment_intent_data": {"capture_method": "manual", "metadata": {"anything": "goes"}},
            "metadata": {"order_id": "42", "free_key": "x"},
        }
    )
    # then the session is created
    assert session.metadata["free_key"] == "x"


@pytest.mark.parametrize("path", ["/v1/customers?emial=a@b.c", "/v1/payment_intents?limit=1&custmer=cus_x"])
def test_an_unknown_get_query_parameter_is_refused(running, path):
    # when a list is asked for with a misspelt filter
    answer = httpx.get(f"{running.base_url}{path}", headers={"Authorization": f"Bearer {API_KEY}"})
    # then 400 parameter_unknown, naming it
    error = answer.json()["error"]
    assert (answer.status_code, error["code"]) == (400, "parameter_unknown")
    assert error["param"] in ("emial", "custmer")


def test_known_get_filters_still_pass(client):
    listed = client.v1.events.list({"limit": 1, "delivery_success": False, "type": "customer.created"})
    assert listed.object == "list"


def test_an_unknown_event_type_on_an_endpoint_is_refused(client):
    # when an endpoint subscribes to a type Stripe does not have
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.webhook_endpoints.create(
            {"url": "https://shop.example/hook", "enabled_events": ["checkout.session.completed", "order.paid"]}
        )
    # then 400 on that entry
    assert raised.value.param == "enabled_events[1]"
    assert raised.value.error.message.startswith("Invalid enabled_events[1]: must be one of")


def test_an_endpoint_update_checks_the_url_and_the_event_types_and_changes_nothing_when_refused(client):
    # given an endpoint
    endpoint = client.v1.webhook_endpoints.create({"url": "https://shop.example/hook", "enabled_events": ["*"]})
    try:
        # when it is updated to a URL that is not http(s), or to an unknown type
        with pytest.raises(stripe.InvalidRequestError) as bad_url:
            client.v1.webhook_endpoints.update(endpoint.id, {"url": "ftp://shop.example/hook"})
        with pytest.raises(stripe.InvalidRequestError) as bad_type:
            client.v1.webhook_endpoints.update(
                endpoint.id, {"url": "https://other.example/hook", "enabled_events": ["nope"]}
            )
        # then both are refused and the endpoint is unchanged
        assert (bad_url.value.param, bad_url.value.code) == ("url", "url_invalid")
        assert bad_type.value.param == "enabled_events[0]"
        again = client.v1.webhook_endpoints.retrieve(endpoint.id)
        assert (again.url, again.enabled_events) == ("https://shop.example/hook", ["*"])
    finally:
        client.v1.webhook_endpoints.delete(endpoint.id)
