"""Cancelling an order while a payment path is open, raced against paying it, on the real stack.

Each scenario places a fresh order, opens a payment path, then releases two threads at once
(a barrier): one pays, the other cancels (the customer's cancel, the shop's refusal, or the
hold-expiry sweep). After every webhook is delivered and the worker's refund job has run, the
run is judged by the promise: either a paid live order (the ledger and the sandbox both hold
exactly its price), or a cancelled order whose net money is 0 in the ledger AND at the sandbox;
no stock leaked; and `/pay` told the customer "succeeded" only if the order ended paid and live.
The suite runs a few rounds per scenario; `bench/cancel_races.py` runs the full count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from comptoir.domain.actors import Role
from comptoir.services import ordering
from comptoir.services.views import ProductView
from tests.e2e.cards.conftest import Cards
from tests.factories import add_product, add_user
from tests.servers import Buyer, Page
from tests.support import race

SUCCEEDS = "4242424242424242"
THREE_DS = "4000002760003184"  # authentication on every transaction
SCENARIOS = ("cancel_vs_hosted_page", "cancel_vs_pay", "cancel_vs_3ds", "refuse_vs_pay", "expiry_vs_pay")
PAID_LIVE, CANCELLED_NET_ZERO, VIOLATION = "paid_live", "cancelled_net_zero", "violation"
STOCK = 100_000
_COUNTED_REFUNDS = {"pending", "succeeded"}


@dataclass(frozen=True)
class Verdict:
    scenario: str
    order_id: str
    kind: str  # paid_live | cancelled_net_zero | violation
    detail: str


class CancelRaces:
    """The scenarios, on one running stack (its own product with plenty of stock)."""

    def __init__(self, cards: Cards, buyer: Buyer) -> None:
        self.cards = cards
        self.stack = cards.stack
        self.buyer = buyer
        self.product: ProductView = add_product(self.stack.uows, cards.shop, unit_price=1250, stock=STOCK)
        merchant = add_user(self.stack.uows, role=Role.MERCHANT, shops=[cards.shop])
        self.merchant = cards.login(merchant.email)
        self.customer = self.stack.customer()

    def run(self, scenario: str) -> Verdict:
        order = self.stack.place_order(self.customer, self.cards.shop, self.product, 1)
        answers = getattr(self, f"_{scenario}")(order["id"])
        for answer in answers:
            if isinstance(answer, Exception):
                return Verdict(scenario, order["id"], VIOLATION, f"a racer failed: {answer!r}")
            if isinstance(answer, httpx.Response) and answer.status_code >= 500:
                return Verdict(scenario, order["id"], VIOLATION, f"answered {answer.status_code}: {answer.text}")
        self.stack.settle()
        self.cards.refund_duplicates()  # the worker's tick, for money that webhooks brought in
        self.stack.settle()
        verdict = self.judge(scenario, order)
        if verdict.kind != PAID_LIVE and any(_told_paid(answer) for answer in answers):
            return Verdict(scenario, order["id"], VIOLATION, f"/pay answered succeeded; {verdict.detail}")
        return verdict

    # --- the racers ---------------------------------------------------------------------------------

    def _cancel(self, order_id: str) -> Callable[[], httpx.Response]:
        return lambda: self._post(f"/api/orders/{order_id}/cancel", self.customer.headers, {})

    def _post(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> httpx.Response:
        """Each racer on its own connection, as two browsers would be."""
        return httpx.post(f"{self.stack.shop_url}{path}", headers=headers, json=body, timeout=30)

    def _pay_page(self, session_url: str) -> Callable[[], Page]:
        def pay() -> Page:
            page = self.buyer.open(session_url)
            if page.state() == "expired":  # the cancel closed it first: nothing to post
                return page
            return self.buyer.pay_card(session_url, SUCCEEDS, token=page.token())

        return pay

    def _cancel_vs_hosted_page(self, order_id: str) -> list[Any]:
        session = self.stack.start_checkout(self.customer, order_id)
        return race([self._pay_page(session["url"]), self._cancel(order_id)])

    def _cancel_vs_pay(self, order_id: str) -> list[Any]:
        card = self.cards.card(SUCCEEDS)
        pay = lambda: self._post(f"/api/orders/{order_id}/pay", self.customer.headers, {"payment_method_id": card})  # noqa: E731
        return race([pay, self._cancel(order_id)])

    def _cancel_vs_3ds(self, order_id: str) -> list[Any]:
        first = self.cards.pay(self.customer, order_id, payment_method_id=self.cards.card(THREE_DS))
        assert first.status_code == 200 and first.json()["status"] == "requires_action", first.text
        challenge = self.cards.challenge_url(first.json())
        intent_id = first.json()["payment_intent_id"]

        def complete() -> httpx.Response:
            if "csrf_token" in self.buyer.open(challenge).html:  # no form once the cancel got there first
                self.buyer.choose_3ds(challenge, "complete")
            return self._post(f"/api/orders/{order_id}/pay", self.customer.headers, {"payment_intent_id": intent_id})

        return race([complete, self._cancel(order_id)])

    def _refuse_vs_pay(self, order_id: str) -> list[Any]:
        session = self.stack.start_checkout(self.customer, order_id)
        refuse = lambda: self._post(f"/api/merchant/orders/{order_id}/refuse", self.merchant, {"reason": "sold out"})  # noqa: E731
        return race([self._pay_page(session["url"]), refuse])

    def _expiry_vs_pay(self, order_id: str) -> list[Any]:
        """The expiry sweep runs with its clock past the hold while the hosted page is still open."""
        session = self.stack.start_checkout(self.customer, order_id)
        later = self.stack.now() + timedelta(minutes=31)
        sweep = lambda: ordering.release_expired_holds(self.stack.uows(), self.stack.app.state.gateway, later)  # noqa: E731
        return race([self._pay_page(session["url"]), sweep])

    # --- the verdict --------------------------------------------------------------------------------

    def judge(self, scenario: str, order: dict[str, Any]) -> Verdict:
        state = self.stack.order(order["id"])
        ledger_net = sum(amount if kind != "refund" else -amount for kind, amount, _ in state.ledger)
        sandbox_net = self.sandbox_net(order["id"])
        shelf, held = self.stack.stock_accounted(self.product)
        facts = f"{state.status}/{state.payment_status} ledger={ledger_net} sandbox={sandbox_net} ({state.ledger})"
        if shelf + held != STOCK * 1000:
            return Verdict(scenario, order["id"], VIOLATION, f"stock leaked: shelf {shelf} + held {held}; {facts}")
        paid_live = (state.status, state.payment_status) == ("confirmed", "paid")
        if paid_live and ledger_net == sandbox_net == order["total"]:
            return Verdict(scenario, order["id"], PAID_LIVE, facts)
        nothing_kept = state.payment_status in {"unpaid", "failed", "refunded"} and ledger_net == sandbox_net == 0
        if state.status == "cancelled" and nothing_kept:
            return Verdict(scenario, order["id"], CANCELLED_NET_ZERO, facts)
        return Verdict(scenario, order["id"], VIOLATION, facts)

    def sandbox_net(self, order_id: str) -> int:
        """What the sandbox holds for the order: money its intents received minus refunds that count."""
        net = 0
        for intent in self.cards.intents_of(order_id):
            if intent.status != "succeeded":
                continue
            net += intent.amount_received
            refunds = self.stack.stripe.v1.refunds.list({"payment_intent": intent.id, "limit": 100}).data
            net -= sum(r.amount for r in refunds if r.status in _COUNTED_REFUNDS)
        return net


def _told_paid(answer: Any) -> bool:
    """Whether this racer was `/pay` telling the customer their payment succeeded."""
    if not isinstance(answer, httpx.Response) or not answer.request.url.path.endswith("/pay"):
        return False
    return answer.status_code == 200 and answer.json().get("status") == "succeeded"
