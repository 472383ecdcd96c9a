"""Lists, expand, errors and auth as the SDK sees them."""

from __future__ import annotations

import uuid

import httpx
import pytest
import stripe

from comptoir.sandbox.api_versions import SERVED_API_VERSIONS
from tests.support.sandbox import API_KEY, OTHER_API_KEY


def test_lists_are_newest_first_and_paginate_both_ways(client):
    # given five customers tagged for this test
    created = [client.v1.customers.create({"email": f"page{i}@example.com"}) for i in range(5)]
    newest_first = [c.id for c in reversed(created)]
    # when listed two at a time
    page1 = client.v1.customers.list({"limit": 2})
    # then the newest come first and there is more
    assert [c.id for c in page1.data] == newest_first[:2]
    assert page1.has_more and page1.url == "/v1/customers" and page1.object == "list"
    page2 = client.v1.customers.list({"limit": 2, "starting_after": page1.data[-1].id})
    assert [c.id for c in page2.data] == newest_first[2:4]
    # and ending_before walks back to the newer page
    back = client.v1.customers.list({"limit": 2, "ending_before": page2.data[0].id})
    assert [c.id for c in back.data] == newest_first[:2]
    assert back.has_more is False


def test_auto_paging_iterates_across_pages(client):
    product = client.v1.products.create({"name": "Autopage"})
    prices = [
        client.v1.prices.create({"product": product.id, "unit_amount": 100 + i, "currency": "eur"}) for i in range(7)
    ]
    listed = [p.id for p in client.v1.prices.list({"product": product.id, "limit": 3}).auto_paging_iter()]
    assert listed == [p.id for p in reversed(prices)]


def test_references_are_ids_unless_expanded(client):
    pi = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True}
    )
    assert isinstance(pi.latest_charge, str)
    expanded = client.v1.payment_intents.retrieve(pi.id, {"expand": ["latest_charge", "payment_method"]})
    assert expanded.latest_charge.object == "charge" and expanded.latest_charge.id == pi.latest_charge
    assert expanded.payment_method.object == "payment_method"
    charge = client.v1.charges.retrieve(pi.latest_charge, {"expand": ["payment_intent.latest_charge"]})
    assert charge.payment_intent.latest_charge.id == charge.id
    listed = client.v1.payment_intents.list({"limit": 1, "expand": ["data.latest_charge"]})
    assert listed.data[0].latest_charge.object == "charge"


def test_expand_line_items_on_a_session(client):
    cs = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [
                {"price_data": {"currency": "eur", "unit_amount": 300, "product_data": {"name": "Pain"}}, "quantity": 1}
            ],
        }
    )
    assert "line_items" not in client.v1.checkout.sessions.retrieve(cs.id)
    expanded = client.v1.checkout.sessions.retrieve(cs.id, {"expand": ["line_items"]})
    assert expanded.line_items.data[0].description == "Pain"


def test_includable_fields_of_a_session_are_served_empty_when_asked_for(client):
    # given a session without discounts or taxes, and the expansions dj-stripe asks for on every session
    cs = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {"currency": "eur", "unit_amount": 450, "product_data": {"name": "Tarte"}},
                    "quantity": 2,
                }
            ],
        }
    )
    includable = ["total_details.breakdown", "line_items.data.discounts", "line_items.data.taxes"]
    # when it is retrieved, listed, its line items listed and its event fetched with them
    retrieved = client.v1.checkout.sessions.retrieve(cs.id, {"expand": includable})
    listed = client.v1.checkout.sessions.list({"limit": 1, "expand": ["data.total_details.breakdown"]}).data[0]
    items = client.v1.checkout.sessions.line_items.list(cs.id, {"expand": ["data.discounts", "data.taxes"]})
    # then each includable field is there, empty, as on Stripe for a session with none
    assert retrieved.total_details.breakdown.to_dict() == {"discounts": [], "taxes": []}
    assert retrieved.line_items.data[0].discounts == [] and retrieved.line_items.data[0].taxes == []
    assert listed.id == cs.id and listed.total_details.breakdown.to_dict() == {"discounts": [], "taxes": []}
    assert items.data[0].discounts == [] and items.data[0].taxes == []
    # and they stay absent unless asked for
    plain = client.v1.checkout.sessions.retrieve(cs.id, {"expand": ["line_items"]})
    assert "breakdown" not in plain.total_details and "discounts" not in plain.line_items.data[0]


def test_nothing_below_an_events_data_object_can_be_expanded(client):
    # given a checkout.session.expired event
    cs = client.v1.checkout.sessions.create({"mode": "payment", "line_items": [{"price_data": _BREAD, "quantity": 1}]})
    client.v1.checkout.sessions.expire(cs.id)
    event = client.v1.events.list({"type": "checkout.session.expired", "limit": 1}).data[0]
    # when it is fetched asking for the session's breakdown, then Stripe's 400 (the spec marks nothing below data)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.events.retrieve(event.id, {"expand": ["data.object.total_details.breakdown"]})
    assert raised.value.http_status == 400 and raised.value.param == "expand"
    assert raised.value.error.message == "This property cannot be expanded (data.object.total_details.breakdown)."


@pytest.mark.parametrize(
    ("path", "expanded"),
    [
        ("id", None),
        ("currency", None),
        ("latest_charge.payment_method", None),
        ("latest_charge.payment_intent.latest_charge", "latest_charge"),
        ("customer", "customer"),
    ],
)
def test_expand_accepts_only_what_the_spec_marks_expandable(client, path, expanded):
    # given a succeeded PaymentIntent with a customer
    customer = client.v1.customers.create({"email": "x@example.com"})
    intent = client.v1.payment_intents.create(
        {"amount": 500, "currency": "eur", "customer": customer.id, "payment_method": "pm_card_visa", "confirm": True}
    )
    if expanded is None:
        # when a field the spec does not list is asked for, then Stripe's 400 naming the path
        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.payment_intents.retrieve(intent.id, {"expand": [path]})
        assert raised.value.http_status == 400 and raised.value.param == "expand"
        assert raised.value.error.message == f"This property cannot be expanded ({path})."
    else:
        # when a listed field (or a path of them) is asked for, then it comes back as an object
        fetched = client.v1.payment_intents.retrieve(intent.id, {"expand": [path]})
        assert isinstance(fetched[expanded], stripe.StripeObject)


def test_list_paths_start_with_data_and_are_checked_per_item(client):
    # given a PaymentIntent
    client.v1.payment_intents.create(
        {"amount": 500, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True}
    )
    # when the list asks for each item's charge, then it is served
    listed = client.v1.payment_intents.list({"limit": 1, "expand": ["data.latest_charge"]})
    assert listed.data[0].latest_charge.object == "charge"
    # when it names a field that is not expandable below data, then 400
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.list({"limit": 1, "expand": ["data.currency"]})


_BREAD = {"currency": "eur", "unit_amount": 300, "product_data": {"name": "Pain"}}


def test_unknown_object_is_404_resource_missing(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.retrieve("cs_test_missing")
    error = raised.value
    assert error.http_status == 404
    assert error.code == "resource_missing"
    assert error.error.message == "No such checkout.session: 'cs_test_missing'"
    assert error.error.param == "id"


def test_error_body_has_stripes_shape(running):
    # given an unknown PaymentIntent
    # when it is fetched
    response = httpx.get(
        f"{running.base_url}/v1/payment_intents/pi_missing", headers={"Authorization": f"Bearer {API_KEY}"}
    )
    # then the error holds only the keys that have a value, plus the request's log link, as Stripe's
    assert response.status_code == 404
    request_id = response.headers["Request-Id"]
    assert request_id.startswith("req_")
    error = response.json()["error"]
    assert set(error) == {"code", "doc_url", "message", "param", "request_log_url", "type"}
    assert f"/test/logs/{request_id}?t=" in error["request_log_url"]


def test_card_error_body_leaves_absent_keys_out(running):
    # given a card that is declined
    # when a PaymentIntent is confirmed with it
    response = httpx.post(
        f"{running.base_url}/v1/payment_intents",
        headers={"Authorization": f"Bearer {API_KEY}"},
        data={"amount": 1000, "currency": "eur", "payment_method": "pm_card_chargeDeclined", "confirm": "true"},
    )
    # then no key of the error, nor of the intent's last_payment_error, is null
    assert response.status_code == 402
    error = response.json()["error"]
    assert {"charge", "code", "decline_code", "payment_intent", "request_log_url", "type"} <= set(error)
    assert "param" not in error and None not in error.values()
    assert None not in error["payment_intent"]["last_payment_error"].values()


def test_missing_key_is_401_with_stripes_message(running):
    response = httpx.get(f"{running.base_url}/v1/customers")
    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("You did not provide an API key.")


def test_malformed_key_raises_authentication_error(running):
    with pytest.raises(stripe.AuthenticationError) as raised:
        running.client("not_a_stripe_key").v1.customers.list()
    assert raised.value.http_status == 401
    assert "Invalid API Key provided" in raised.value.user_message


def test_the_served_stripe_version_is_answered_and_named_in_the_reply(running):
    # given a client pinned to the version the sandbox serves
    pinned = running.client(stripe_version=SERVED_API_VERSIONS[0])
    # when it calls, then the reply names that version
    reply = pinned.v1.customers.create({"email": "pinned@example.com"})
    assert reply.last_response.headers["Stripe-Version"] == SERVED_API_VERSIONS[0]


@pytest.mark.parametrize(
    ("version", "hint"), [("2099-13-45", False), ("bogus", False), ("2020-08-27", True), ("2024-09-30.acacia", True)]
)
def test_a_version_the_sandbox_does_not_serve_is_refused_with_stripes_message(running, version, hint):
    # given a client pinned to a version that does not exist, or whose shapes the sandbox does not serve
    other = running.client(stripe_version=version)
    # when it calls, then Stripe's 400 and nothing is created
    before = len(running.sandbox.store.objects)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        other.v1.customers.create({"email": "old@example.com"})
    assert raised.value.http_status == 400
    assert raised.value.error.message.startswith(f"Invalid Stripe API version: {version}")
    assert ("serves the shapes of" in raised.value.error.message) is hint
    assert len(running.sandbox.store.objects) == before


def test_a_webhook_endpoint_api_version_is_honoured_or_refused(client):
    # when an endpoint asks for the served version, then it is kept
    kept = client.v1.webhook_endpoints.create(
        {"url": "https://shop.example/hook", "enabled_events": ["*"], "api_version": SERVED_API_VERSIONS[0]}
    )
    assert kept.api_version == SERVED_API_VERSIONS[0]
    # when it asks for another, then 400 on api_version
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.webhook_endpoints.create(
            {"url": "https://shop.example/hook", "enabled_events": ["*"], "api_version": "2020-08-27"}
        )
    assert raised.value.param == "api_version"
    client.v1.webhook_endpoints.delete(kept.id)


def test_checkout_ui_mode_is_validated_and_returned_as_the_served_version_names_it(client):
    # given a session created without ui_mode, then it is the served version's hosted page
    session = client.v1.checkout.sessions.create(
        {"mode": "payment", "line_items": [{"price_data": _BREAD, "quantity": 1}]}
    )
    assert session.ui_mode == "hosted_page"
    # when an older version's name or an unknown one is given, then 400 on ui_mode
    for value in ("hosted", "popup"):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.checkout.sessions.create(
                {"mode": "payment", "ui_mode": value, "line_items": [{"price_data": _BREAD, "quantity": 1}]}
            )
        assert raised.value.param == "ui_mode" and "hosted_page" in raised.value.error.message
    # when a mode the sandbox has no page for is given, then 400 saying so
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(
            {"mode": "payment", "ui_mode": "embedded_page", "line_items": [{"price_data": _BREAD, "quantity": 1}]}
        )
    assert "hosted Checkout pages only" in raised.value.error.message


def test_the_account_is_served_and_stays_the_same(client, running):
    # given a library that fetches the account once per key
    first = client.v1.accounts.retrieve_current()
    # when it is fetched again, by another key
    again = running.client(OTHER_API_KEY).v1.accounts.retrieve_current()
    # then it is the same test-mode account, able to take charges
    assert first.object == "account" and first.id.startswith("acct_")
    assert again.id == first.id and again.created == first.created
    assert first.charges_enabled is True and first.type == "standard"


def test_unknown_url_is_404_invalid_request(running):
    response = httpx.get(f"{running.base_url}/v1/nothing_here", headers={"Authorization": f"Bearer {API_KEY}"})
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_metadata_update_merges_and_deletes(client):
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "eur", "metadata": {"a": "1", "b": "2"}})
    updated = client.v1.payment_intents.update(pi.id, {"metadata": {"b": "", "c": "3"}, "description": "x"})
    assert updated.metadata.to_dict() == {"a": "1", "c": "3"}
    assert updated.description == "x"


def test_confirming_a_succeeded_intent_is_unexpected_state(client):
    pi = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True}
    )
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.confirm(pi.id)
    assert raised.value.code == "payment_intent_unexpected_state"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.cancel(pi.id)


def test_cancel_and_capture_state_rules(client):
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "eur"})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.capture(pi.id)
    assert raised.value.code == "payment_intent_unexpected_state"
    canceled = client.v1.payment_intents.cancel(pi.id, {"cancellation_reason": "requested_by_customer"})
    assert canceled.status == "canceled" and canceled.cancellation_reason == "requested_by_customer"


def test_products_and_prices_update(client):
    product = client.v1.products.create({"name": "Brioche", "metadata": {"sku": "B1"}})
    assert client.v1.products.update(product.id, {"name": "Brioche tressée"}).name == "Brioche tressée"
    price = client.v1.prices.create({"product": product.id, "unit_amount": 450, "currency": "eur"})
    assert client.v1.prices.update(price.id, {"active": False}).active is False
    assert client.v1.prices.retrieve(price.id).unit_amount == 450
    assert product.id in [p.id for p in client.v1.products.list({"limit": 100}).data]


def test_webhook_endpoints_create_list_retrieve_delete(client):
    endpoint = client.v1.webhook_endpoints.create(
        {"url": "https://shop.example/webhooks", "enabled_events": ["checkout.session.completed"]}
    )
    assert endpoint.secret.startswith("whsec_")
    fetched = client.v1.webhook_endpoints.retrieve(endpoint.id)
    assert fetched.url == "https://shop.example/webhooks" and "secret" not in fetched
    assert endpoint.id in [e.id for e in client.v1.webhook_endpoints.list().data]
    deleted = client.v1.webhook_endpoints.delete(endpoint.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.webhook_endpoints.retrieve(endpoint.id)


def test_an_unknown_parameter_is_refused_and_not_saved_under_its_key(client):
    # given a typo in a parameter name
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.create(
            {"amount": 1000, "currency": "eur", "ammount": 5}, {"idempotency_key": f"typo-{uuid.uuid4()}"}
        )
    # then Stripe's parameter_unknown error names it
    assert raised.value.code == "parameter_unknown"
    assert raised.value.error.param == "ammount"
    assert raised.value.error.message == "Received unknown parameter: ammount"


def test_both_names_of_the_payment_method_types_parameter_are_accepted(client):
    old = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "eur", "payment_method_types": ["card", "sepa_debit"]}
    )
    new = client.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "eur",
            "allowed_payment_method_types": ["card", "sepa_debit"],
            "excluded_payment_method_types": ["sepa_debit"],
        }
    )
    assert old.payment_method_types == ["card", "sepa_debit"]
    assert new.payment_method_types == ["card"]


@pytest.mark.parametrize("created", ["abc", {"gte": "abc"}, {"lt": "1.5"}])
@pytest.mark.parametrize("listing", ["customers", "events", "checkout.sessions"])
def test_a_created_filter_that_is_no_integer_is_a_400_on_any_list(client, listing: str, created: object) -> None:
    # given any list, whether or not it holds objects
    service = client.v1
    for name in listing.split("."):
        service = getattr(service, name)
    # when it is asked for objects created at a time that is no integer
    with pytest.raises(stripe.InvalidRequestError) as raised:
        service.list({"created": created})
    # then it is Stripe's 400, naming the parameter, not a 500
    assert (raised.value.http_status, raised.value.code) == (400, "parameter_invalid_integer")
    assert raised.value.param is not None and raised.value.param.startswith("created")
