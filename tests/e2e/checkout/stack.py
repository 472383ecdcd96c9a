"""The whole payment path on real sockets: the sandbox and the shop as two uvicorn servers.

The sandbox forwards every event, signed, to the shop's ``/webhooks/stripe``; the shop talks to
the sandbox through the official ``stripe`` SDK (its real ``StripeGateway``). Both listen on
sockets bound *before* their apps are built, so each knows the other's URL up front and a
client can connect at once (the kernel queues the connection until the loop accepts it).

The shop's clock follows the sandbox clock (wall time plus the sandbox's offset), so moving the
sandbox clock past a session's ``expires_at`` moves the shop's "now" past the order's hold too:
one world, one time. Asynchronous outcomes are awaited by polling with a deadline
(``wait_until``), never by sleeping.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import stripe
from sqlalchemy import func, select

from comptoir.adapters.db.engine import make_engine
from comptoir.adapters.db.models import Order, OrderLine, Product
from comptoir.adapters.db.payment_models import LedgerEntry, ReceivedEvent
from comptoir.adapters.db.uow import SqlUnitOfWorkFactory, sql_unit_of_work_factory
from comptoir.app import create_app
from comptoir.config import Settings
from comptoir.domain.actors import Actor, Role
from comptoir.sandbox.delivery import FORWARD_TARGET
from comptoir.sandbox.faults import Faults
from comptoir.sandbox.server import SandboxServer, build_server
from comptoir.services.reconciliation import ReconcileReport, reconcile
from comptoir.services.views import ProductView, ShopView
from tests.factories import FakeHasher, add_product, add_shop, add_user
from tests.servers import SHARED_TLS_CONTEXT, bound_socket, serving
from tests.support import DEADLINE, wait_until

RETRY_SCHEDULE = (0.05, 0.1, 0.2)
"""Sandbox waits between delivery attempts: a 503 from the shop is retried within a blink."""
PAYMENT_METHODS = ["card", "sepa_debit"]
EXPIRY_WAIT = 32 * 60
"""Sandbox seconds that take a fresh session (31 min) and its order's hold (30 min) past their end."""
SEPA_SETTLE_WAIT = 61
"""Sandbox seconds after which a SEPA debit settles (the sandbox's ``async_delay`` is 60 s)."""


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``payload``, as Stripe computes it (HMAC-SHA256 of ``t.body``)."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


class RecordingMailer:
    """The shop's Mailer: keeps what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    def send(self, *, to: str, subject: str, body: str) -> None:
        self.sent.append({"to": to, "subject": subject, "body": body})


# --- what the shop's database says ------------------------------------------------------------------


@dataclass(frozen=True)
class OrderState:
    status: str
    payment_status: str
    ledger: tuple[tuple[str, int, str], ...]  # (kind, amount, external_id)
    outbox: tuple[str, ...]  # topics, oldest first

    def entries(self, kind: str) -> list[tuple[str, int, str]]:
        return [entry for entry in self.ledger if entry[0] == kind]


@dataclass
class Customer:
    actor: Actor
    headers: dict[str, str]


@dataclass
class Stack:
    shop_url: str
    running: SandboxServer
    uows: SqlUnitOfWorkFactory
    app: Any
    http: httpx.Client
    stripe: stripe.StripeClient
    mailer: RecordingMailer
    faults: Faults

    @property
    def sandbox(self) -> Any:
        """The sandbox engine (clock, settle, internal API)."""
        return self.running.sandbox

    @property
    def faulty(self) -> bool:
        return self.faults.active

    # --- time ---

    def now(self) -> datetime:
        return datetime.fromtimestamp(time.time() + self.sandbox.clock.offset, UTC)

    def advance(self, seconds: int) -> None:
        """Let ``seconds`` pass for both the sandbox (which then settles what is due) and the shop."""
        self.sandbox.advance_clock(seconds)

    # --- test data over HTTP ---

    def shop(self, *, stock: int = 5, unit_price: int = 2500) -> tuple[ShopView, ProductView]:
        shop = add_shop(self.uows)
        add_user(self.uows, role=Role.MERCHANT, shops=[shop])
        return shop, add_product(self.uows, shop, unit_price=unit_price, stock=stock)

    def customer(self) -> Customer:
        actor = add_user(self.uows)
        answer = self.http.post("/api/auth/login", json={"email": actor.email, "password": "pw"})
        assert answer.status_code == 200, answer.text
        return Customer(actor, {"Authorization": f"Bearer {answer.json()['access_token']}"})

    def place_order(
        self, customer: Customer, shop: ShopView, product: ProductView, quantity: int = 2
    ) -> dict[str, Any]:
        answer = self.http.post(
            "/api/orders",
            headers=customer.headers,
            json={
                "shop": shop.slug,
                "lines": [{"product_id": product.id, "quantity": quantity}],
                "payment_method": "online",
                "delivery_address": {
                    "line1": "1 rue de la Paix",
                    "city": "Paris",
                    "postal_code": "75002",
                    "country": "FR",
                },
            },
        )
        assert answer.status_code == 201, answer.text
        order: dict[str, Any] = answer.json()
        return order

    def checkout_session(self, customer: Customer, order_id: str) -> httpx.Response:
        return self.http.post(f"/api/orders/{order_id}/checkout-session", headers=customer.headers)

    def start_checkout(self, customer: Customer, order_id: str) -> dict[str, Any]:
        answer = self.checkout_session(customer, order_id)
        assert answer.status_code == 200, answer.text
        session: dict[str, Any] = answer.json()
        return session

    def forget_session(self, order_id: str) -> None:
        """Forget the order's stored session, as a process killed between the Stripe call and the
        second transaction of `start_checkout` leaves it: the attempt `creating`, with no id or url."""
        with self.uows() as uow:
            (attempt,) = uow.payments.attempts(order_id)
            attempt.provider_id, attempt.url, attempt.state = None, None, "creating"
            uow.commit()

    # --- settling asynchronous work ---

    def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        """The sandbox's events, newest first (read under the engine lock, no HTTP round trip per poll)."""
        with self.sandbox.lock:
            found = [e for e in self.sandbox.store.newest_first("event") if event_type in (None, e["type"])]
            return [self.sandbox.get(e["id"]) for e in found]

    def deliveries_done(self) -> bool:
        """Every event the sandbox emitted has reached the shop for good (answered 2xx), or failed
        for good (an injected drop, or retries exhausted)."""
        with self.sandbox.lock:
            events = [event["id"] for event in self.sandbox.store.newest_first("event")]
        rows = {row["event_id"]: row for row in self.sandbox.bus.list_deliveries(endpoint_id=FORWARD_TARGET)}
        return all(event_id in rows and rows[event_id]["status"] != "pending" for event_id in events)

    def settle(self) -> ReconcileReport | None:
        """Wait until deliveries are over; under faults, then run the reconciler for what was dropped."""
        wait_until(self.deliveries_done, "every webhook delivery to finish")
        if not self.faulty:
            return None
        return self.reconcile()

    def reconcile(self) -> ReconcileReport:
        return reconcile(self.uows(), self.app.state.gateway, now=self.now())

    def dropped_event_types(self) -> set[str]:
        dropped = self.sandbox.bus.list_deliveries(endpoint_id=FORWARD_TARGET, status="failed")
        return {self.sandbox.get(row["event_id"])["type"] for row in dropped}

    def duplicate_sends(self) -> int:
        """Copies of deliveries the sandbox sent on purpose (fault injection)."""
        return sum(
            1
            for attempts in list(self.running.webhooks.history.values())
            for attempt in attempts
            if attempt["duplicate"]
        )

    # --- reading the shop's database ---

    def order(self, order_id: str) -> OrderState:
        with self.uows() as uow:
            order = uow.orders.get(order_id)
            assert order is not None
            ledger = tuple((e.kind, e.amount, e.external_id) for e in uow.payments.ledger(order_id))
            outbox = tuple(m.topic for m in uow.outbox.for_order(order_id))
            return OrderState(order.status, order.payment_status, ledger, outbox)

    def wait_order(self, order_id: str, what: str, predicate: Callable[[OrderState], bool]) -> OrderState:
        return wait_until(lambda: (lambda s: s if predicate(s) else None)(self.order(order_id)), what)

    def messages(self, order_id: str) -> list[tuple[str, str, str]]:
        """(topic, recipient, subject) of the order's outbox messages, oldest first."""
        with self.uows() as uow:
            return [(m.topic, m.recipient, m.subject) for m in uow.outbox.for_order(order_id)]

    def event_status(self, event_id: str) -> str | None:
        with self.uows() as uow:
            row = uow.session.get(ReceivedEvent, event_id)
            return row.status if row is not None else None

    def recorded_events(self) -> dict[str, str]:
        """Every event the shop recorded: id -> status (processed | ignored | failed)."""
        with self.uows() as uow:
            return {row.id: row.status for row in uow.session.execute(select(ReceivedEvent.id, ReceivedEvent.status))}

    def stock_accounted(self, product: ProductView) -> tuple[int, int]:
        """(stock on the shelf, stock held or sold by orders that never released it), in milli-units."""
        return self.stock_accounted_id(product.id)

    def stock_accounted_id(self, product_id: int) -> tuple[int, int]:
        with self.uows() as uow:
            shelf = uow.session.scalar(select(Product.stock_milli).where(Product.id == product_id))
            held = uow.session.scalar(
                select(func.coalesce(func.sum(OrderLine.quantity_milli), 0))
                .join(Order, Order.id == OrderLine.order_id)
                .where(OrderLine.product_id == product_id, Order.stock_released_at.is_(None))
            )
            return int(shelf or 0), int(held or 0)

    def payment_entries(self, external_id: str) -> int:
        with self.uows() as uow:
            stmt = select(func.count()).select_from(LedgerEntry).filter_by(kind="payment", external_id=external_id)
            return int(uow.session.scalar(stmt) or 0)


@contextmanager
def running_stack(
    db_url: str, data_dir: Path, *, faults: Faults | None = None, extra_webhook_secrets: tuple[str, ...] = ()
) -> Iterator[Stack]:
    """Sandbox and shop, each a real uvicorn server; the shop's own engine is disposed on exit."""
    faults = faults or Faults()
    shop_sock, shop_url = bound_socket()
    sandbox_sock, sandbox_url = bound_socket()
    running = build_server(
        host="127.0.0.1",
        port=sandbox_sock.getsockname()[1],
        data_dir=None,
        forward_to=f"{shop_url}/webhooks/stripe",
        faults=faults,
        retry_schedule=RETRY_SCHEDULE,
        delivery_timeout=DEADLINE,
        settle_interval=None,
        log_level="warning",
    )
    mailer = RecordingMailer()
    offset = lambda: running.sandbox.clock.offset  # noqa: E731 (the shop's clock follows the sandbox's)
    settings = Settings(
        dev=True,
        data_dir=data_dir,
        database_url=db_url,
        public_url=shop_url,
        stripe_secret_key=running.secret_key,
        stripe_webhook_secrets=[*extra_webhook_secrets, running.webhook_secret],
        stripe_api_base=sandbox_url,
        stripe_payment_method_types=PAYMENT_METHODS,
    )
    app = create_app(
        settings,
        hasher=FakeHasher(),
        clock=lambda: datetime.fromtimestamp(time.time() + offset(), UTC),
        mailer=mailer,
    )
    engine = make_engine(db_url)
    client = stripe.StripeClient(running.secret_key, base_addresses={"api": sandbox_url}, max_network_retries=0)
    try:
        with (
            serving((app, shop_sock, "shop"), (running.app, sandbox_sock, "sandbox")),
            httpx.Client(base_url=shop_url, timeout=DEADLINE, verify=SHARED_TLS_CONTEXT) as http,
        ):
            yield Stack(shop_url, running, sql_unit_of_work_factory(engine), app, http, client, mailer, faults)
    finally:
        engine.dispose()


def assert_books_balance(stack: Stack, stock: dict[int, int]) -> None:
    """The invariants every scenario ends with, faults or not: each paid session of the sandbox is
    exactly one paid order with exactly one ``payment`` entry (keyed by its PaymentIntent) and one
    receipt; an unpaid session left no payment; no stock leaked (shelf + held = initial)."""
    for session in stack.stripe.v1.checkout.sessions.list({"limit": 100}).auto_paging_iter():
        order_id = session.metadata["order_id"]
        state = stack.order(order_id)
        if session.payment_status == "paid":
            assert state.entries("payment") == [("payment", session.amount_total, session.payment_intent)], session.id
            assert stack.payment_entries(session.payment_intent) == 1
            assert state.payment_status in {"paid", "partially_refunded", "refunded"}, (session.id, state)
            assert state.status == "confirmed", (session.id, state)
            assert state.outbox.count("receipt") == 1 and state.outbox.count("merchant_alert") == 1, state.outbox
        elif session.payment_intent is not None:
            assert stack.payment_entries(session.payment_intent) == 0, session.id
    recorded = stack.recorded_events()
    for row in stack.sandbox.bus.list_deliveries(endpoint_id=FORWARD_TARGET, status="succeeded"):
        assert recorded.get(row["event_id"]) in {"processed", "ignored"}, (
            row["event_id"],
            recorded.get(row["event_id"]),
        )
    if stack.faults.duplicate:  # the faults really were there: copies were sent (and answered)
        assert stack.duplicate_sends() > 0
    for product_id, initial in stock.items():
        shelf, held = stack.stock_accounted_id(product_id)
        assert shelf + held == initial * 1000, (product_id, shelf, held, initial)
