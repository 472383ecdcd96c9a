"""Concurrent SDK clients and engine calls from threads leave consistent state."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor


def test_concurrent_payments_and_a_shared_idempotency_key(running, sandbox):
    shared_key = str(uuid.uuid4())
    sessions = [
        running.client().v1.checkout.sessions.create(
            {
                "mode": "payment",
                "line_items": [
                    {
                        "price_data": {"currency": "eur", "unit_amount": 800, "product_data": {"name": "Tarte"}},
                        "quantity": 1,
                    }
                ],
            }
        )
        for _ in range(4)
    ]

    def pay_many(_: int) -> list[str]:
        client = running.client()
        return [
            client.v1.payment_intents.create(
                {"amount": 1200, "currency": "eur", "confirm": True, "payment_method": "pm_card_visa"}
            ).id
            for _ in range(5)
        ]

    def same_key(_: int) -> str:
        return running.client().v1.customers.create({"email": "once@example.com"}, {"idempotency_key": shared_key}).id

    def hosted_page(index: int) -> str:
        return sandbox.complete_checkout_with_payment_method(sessions[index].id, "pm_card_visa").status

    # when SDK clients and hosted-page calls run at the same time
    with ThreadPoolExecutor(max_workers=12) as pool:
        paid = [pool.submit(pay_many, i) for i in range(6)]
        keyed = [pool.submit(same_key, i) for i in range(6)]
        pages = [pool.submit(hosted_page, i) for i in range(4)]
        intents = [pi for f in paid for pi in f.result()]
        customers = {f.result() for f in keyed}
        statuses = [f.result() for f in pages]
    # then every payment succeeded exactly once, the shared key made one customer, every session completed
    client = running.client()
    assert len(set(intents)) == 30
    assert all(client.v1.payment_intents.retrieve(pi).status == "succeeded" for pi in intents[:5])
    assert len(customers) == 1
    assert statuses == ["complete"] * 4
    listed = [pi.id for pi in client.v1.payment_intents.list({"limit": 100}).auto_paging_iter() if pi.id in intents]
    assert sorted(listed) == sorted(intents)
