"""The merchant routes' HTTP contract (validation and refusals); the flows themselves run end to end
in tests/e2e/merchant."""

from __future__ import annotations

from tests.api.support import Api


def _butcher(api: Api) -> tuple[dict[str, str], int]:
    shop_id = api.add_shop("boucherie", accepts_on_pickup=True, offers_delivery=False, offers_pickup=True)
    product = api.add_product(shop_id, "Entrecôte", 3290, unit="kg", stock_milli=5_000)
    return api.add_merchant("boucher@example.com", "boucherie"), product


def test_a_refund_names_an_amount_or_lines_and_a_reason(api: Api) -> None:
    merchant, product = _butcher(api)
    customer = api.customer_headers()
    order = api.client.post(
        "/api/orders",
        headers=customer,
        json={
            "shop": "boucherie",
            "lines": [{"product_id": product, "quantity": "0.500"}],
            "payment_method": "on_pickup",
        },
    ).json()
    url = f"/api/merchant/orders/{order['id']}/refunds"
    both = api.client.post(url, headers=merchant, json={"amount": 100, "lines": [{"line_id": 1}], "reason": "x"})
    neither = api.client.post(url, headers=merchant, json={"reason": "x"})
    no_reason = api.client.post(url, headers=merchant, json={"amount": 100})
    negative = api.client.post(url, headers=merchant, json={"amount": -5, "reason": "x"})
    assert (both.status_code, both.json()["code"]) == (422, "refund_amount_or_lines")
    assert (neither.status_code, neither.json()["code"]) == (422, "refund_amount_or_lines")
    assert (no_reason.status_code, negative.status_code) == (422, 422)
    # and an unpaid order has nothing to refund
    nothing = api.client.post(url, headers=merchant, json={"amount": 100, "reason": "x"})
    assert (nothing.status_code, nothing.json()["code"], nothing.json()["refundable"]) == (
        409,
        "refund_exceeds_refundable",
        0,
    )


def test_collect_accepts_cash_or_card_terminal_only(api: Api) -> None:
    merchant, _ = _butcher(api)
    answer = api.client.post(
        "/api/merchant/orders/ord_x/collect", headers=merchant, json={"method": "iou", "amount": 1}
    )
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_request")
    unknown = api.client.post(
        "/api/merchant/orders/ord_x/collect", headers=merchant, json={"method": "cash", "amount": 1}
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "order_not_found")


def test_the_event_feed_checks_who_asks_before_streaming(api: Api) -> None:
    merchant, _ = _butcher(api)
    customer_token = api.register("client2@example.com")["access_token"]
    merchant_token = merchant["Authorization"].removeprefix("Bearer ")
    as_customer = api.client.get("/api/merchant/events", params={"access_token": customer_token})
    assert (as_customer.status_code, as_customer.json()["code"]) == (403, "merchant_only")
    bad_resume = api.client.get(
        "/api/merchant/events", params={"access_token": merchant_token}, headers={"Last-Event-ID": "abc"}
    )
    assert (bad_resume.status_code, bad_resume.json()["code"]) == (422, "invalid_last_event_id")
    forged = api.client.get("/api/merchant/events", params={"access_token": "not-a-token"})
    assert forged.status_code == 401
    missing = api.client.get("/api/merchant/events")
    assert (missing.status_code, missing.json()["code"]) == (401, "token_missing")


def test_the_order_list_refuses_a_filter_it_does_not_know_instead_of_ignoring_it(api: Api) -> None:
    # given a merchant (the list has no payment_status filter)
    api.add_shop("boutique")
    headers = api.add_merchant("chef@example.com", "boutique")
    # when
    unknown = api.client.get("/api/merchant/orders?payment_status=paid&color=red", headers=headers)
    known = api.client.get("/api/merchant/orders?status=pending&limit=5", headers=headers)
    anonymous = api.client.get("/api/merchant/orders?payment_status=paid")
    # then the unknown filters are named; the known ones still work; who asks is checked first
    assert (unknown.status_code, unknown.json()["code"], unknown.json()["filters"]) == (
        422,
        "unknown_filter",
        ["color", "payment_status"],
    )
    assert known.status_code == 200
    assert anonymous.status_code == 401
