"""The reconciler repairs what lost webhooks never told the shop, on SQLite and PostgreSQL.

The sandbox drops *every* delivery here, and nobody opens the success page, so the shop can
only learn the truth by asking: the reconciler re-reads each unsettled session and applies it
through the same functions the webhook uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from comptoir.sandbox.faults import Faults
from tests.e2e.checkout.stack import EXPIRY_WAIT, Stack, assert_books_balance, running_stack
from tests.servers import Buyer

STOCK = 5


@pytest.fixture
def deaf_stack(db_url: str, tmp_path: Path) -> Iterator[Stack]:
    """A shop that never receives a webhook: the sandbox drops every delivery."""
    with running_stack(db_url, tmp_path / "shop", faults=Faults(drop=1.0, seed=1)) as stack:
        yield stack


def test_the_reconciler_fulfils_cancels_and_fails_what_no_webhook_reported(deaf_stack: Stack, buyer: Buyer) -> None:
    stack = deaf_stack
    shop, product = stack.shop(stock=STOCK)
    # given three orders of 1 each: one paid by card, one left unpaid, one paid by a SEPA debit that will fail
    orders = {}
    for name in ("paid", "abandoned", "sepa"):
        customer = stack.customer()
        order = stack.place_order(customer, shop, product, 1)
        orders[name] = (order["id"], stack.start_checkout(customer, order["id"]))
    assert buyer.pay_card(orders["paid"][1]["url"], "4242424242424242").status == 303
    assert buyer.pay_sepa(orders["sepa"][1]["url"], "DE62370400440532013001").status == 303
    # and the sessions' lifetime passes (the unpaid one expires, the debit is refused)
    stack.advance(EXPIRY_WAIT)
    wait_for_drops = stack.settle()
    assert wait_for_drops is not None  # a faulty stack reconciles in settle(); here we look at it ourselves
    # then the reconciler did what the lost events would have done
    actions = {(repair.order_id, repair.action) for repair in wait_for_drops.repairs}
    assert (orders["paid"][0], "fulfilled") in actions
    assert (orders["abandoned"][0], "cancelled_expired") in actions
    assert (orders["sepa"][0], "payment_failed") in actions
    assert not wait_for_drops.errors
    paid, abandoned, sepa = (stack.order(orders[name][0]) for name in ("paid", "abandoned", "sepa"))
    assert (paid.status, paid.payment_status, len(paid.entries("payment"))) == ("confirmed", "paid", 1)
    assert (abandoned.status, abandoned.payment_status, abandoned.ledger) == ("cancelled", "unpaid", ())
    assert sepa.payment_status == "failed" and sepa.outbox.count("payment_failed") == 1
    # and not one event reached the shop
    assert all(row["status"] == "failed" for row in stack.sandbox.bus.list_deliveries(endpoint_id="forward_to"))
    # when it runs again, nothing more changes
    again = stack.reconcile()
    assert not [r for r in again.repairs if r.order_id == orders["paid"][0]]
    assert len(stack.order(orders["paid"][0]).entries("payment")) == 1
    assert_books_balance(stack, {product.id: STOCK})
