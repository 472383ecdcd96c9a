"""The payment commands of the installed `comptoir` CLI, run as subprocesses on a real data folder.

- `comptoir events replay EVENT_ID | --failed` re-runs recorded webhook events (a failed
  `checkout.session.completed` is prepared through the services);
- `comptoir reconcile` against `comptoir sandbox` (a separate process) repairs a session paid on
  the hosted page whose webhook never arrived, and lists what it repaired;
- `comptoir serve` with no Stripe key runs the sandbox and the worker beside the shop: a checkout
  paid on the hosted page ends with the order paid (by the webhook) and the receipt in the log.

Asynchronous outcomes are awaited by polling with a deadline, never by sleeping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from comptoir.adapters.db.engine import make_engine
from comptoir.adapters.db.uow import SqlUnitOfWorkFactory, sql_unit_of_work_factory
from comptoir.adapters.stripe_gateway import StripeGateway
from comptoir.domain.actors import Actor
from comptoir.records.payments import LedgerEntry, ReceivedEvent
from comptoir.services.orders import ordering
from comptoir.services.payments import checkout, webhooks
from comptoir.services.payments.checkout import CheckoutUrls
from comptoir.services.payments.provider import WebhookEvent
from tests.e2e.cli_process import DEADLINE, Background, cli_env, json_logs, run_comptoir
from tests.factories import add_product, add_shop, add_user, order_of
from tests.fakes import FakeGateway, session_dict
from tests.servers import Buyer, free_port
from tests.support import wait_until

URLS = CheckoutUrls("http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}", "http://shop.test/cart")
SANDBOX_KEY = "sk_test_cli_reconcile"


@dataclass
class DataDir:
    """A migrated data folder and a unit-of-work factory on its SQLite file (the CLI's database)."""

    path: Path
    uows: SqlUnitOfWorkFactory

    def env(self, **extra: str) -> dict[str, str]:
        return cli_env(self.path, **extra)

    def order_state(self, order_id: str) -> tuple[str, str, int]:
        with self.uows() as uow:
            order = uow.orders.get(order_id)
            assert order is not None
            entries = uow.session.scalar(
                select(func.count()).select_from(LedgerEntry).where(LedgerEntry.order_id == order_id)
            )
            return order.status, order.payment_status, int(entries or 0)

    def event_status(self, event_id: str) -> str | None:
        with self.uows() as uow:
            row = uow.session.get(ReceivedEvent, event_id)
            return row.status if row else None


@pytest.fixture
def data(tmp_path: Path) -> Iterator[DataDir]:
    run_comptoir("db", "upgrade", env=cli_env(tmp_path))
    engine = make_engine(f"sqlite:///{(tmp_path / 'comptoir.sqlite3').resolve()}")
    try:
        yield DataDir(tmp_path, sql_unit_of_work_factory(engine))
    finally:
        engine.dispose()


def _pending_order(uows: SqlUnitOfWorkFactory, now: datetime) -> tuple[str, Actor]:
    shop = add_shop(uows)
    product = add_product(uows, shop, unit_price=2500, stock=5)
    customer = add_user(uows)
    return ordering.place_order(uows(), customer, order_of(shop, (product, 2)), now).id, customer


# --- help ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "phrases"),
    [
        (["--help"], ["events", "reconcile", "worker", "serve", "sandbox"]),
        (["events", "--help"], ["replay", "Recorded Stripe webhook events"]),
        (["events", "replay", "--help"], ["event_id", "evt_", "--failed", "same handler", "idempotent"]),
        (["reconcile", "--help"], ["webhooks missed", "paid sessions", "expired sessions", "--data"]),
        (["worker", "--help"], ["queued mail", "reconcile", "STRIPE_SECRET_KEY"]),
        (["serve", "--help"], ["STRIPE_SECRET_KEY", "sandbox", "worker"]),
    ],
)
def test_each_payment_command_s_help_says_what_it_does(tmp_path: Path, args: list[str], phrases: list[str]) -> None:
    # when / then
    out = run_comptoir(*args, env=cli_env(tmp_path)).stdout
    flat = " ".join(out.split())
    for phrase in phrases:
        assert phrase in flat, f"{phrase!r} missing from `comptoir {' '.join(args)}`:\n{out}"


# --- events replay -------------------------------------------------------------------------------------


def _failed_completed_event(data: DataDir, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A paid `checkout.session.completed` recorded as failed (its handler broke): (event id, order id)."""
    now = datetime.now(UTC)
    order_id, customer = _pending_order(data.uows, now)
    gateway = FakeGateway()
    link = checkout.start_checkout(data.uows(), gateway, customer, order_id, urls=URLS, now=now)
    paid = session_dict(gateway.pay(link.id))
    raw = {
        "id": f"evt_cli_{order_id[:8]}",
        "object": "event",
        "type": "checkout.session.completed",
        "created": int(now.timestamp()),
        "data": {"object": paid},
    }

    def broken(*_args: object) -> str:
        raise RuntimeError("database went away mid-handler")

    with monkeypatch.context() as patch:
        patch.setitem(webhooks.HANDLERS, "checkout.session.completed", broken)
        with pytest.raises(webhooks.WebhookProcessingFailed):
            webhooks.ingest(
                data.uows(), gateway, WebhookEvent(raw["id"], raw["type"], raw["created"], paid, raw), now=now
            )
    assert data.event_status(raw["id"]) == "failed"
    assert data.order_state(order_id) == ("pending", "unpaid", 0)
    return raw["id"], order_id


def test_events_replay_failed_reapplies_a_failed_checkout_event_once(data: DataDir, monkeypatch) -> None:
    # given a paid checkout.session.completed whose processing failed
    event_id, order_id = _failed_completed_event(data, monkeypatch)
    # when `comptoir events replay --failed` runs
    done = run_comptoir("events", "replay", "--failed", env=data.env())
    # then it lists the event as processed and paid, and the order is paid with one ledger entry
    assert re.search(rf"^{event_id}\s+checkout\.session\.completed\s+processed paid$", done.stdout, re.M), done.stdout
    assert data.order_state(order_id) == ("confirmed", "paid", 1)
    assert data.event_status(event_id) == "processed"
    # and a second `--failed` finds nothing left
    assert "no failed events to replay" in run_comptoir("events", "replay", "--failed", env=data.env()).stdout


def test_events_replay_by_id_reruns_the_same_handler_without_doubling_anything(data: DataDir, monkeypatch) -> None:
    # given a failed event, replayed once by id
    event_id, order_id = _failed_completed_event(data, monkeypatch)
    first = run_comptoir("events", "replay", event_id, env=data.env())
    # when the same id is replayed again
    again = run_comptoir("events", "replay", event_id, env=data.env())
    # then the first run paid the order, the second changed nothing
    assert "processed paid" in first.stdout
    assert re.search(rf"^{event_id}\s+checkout\.session\.completed\s+processed unchanged$", again.stdout, re.M)
    assert data.order_state(order_id) == ("confirmed", "paid", 1)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["events", "replay"], 2, "give an EVENT_ID or --failed"),
        (["events", "replay", "evt_x", "--failed"], 2, "give an EVENT_ID or --failed"),
        (["events", "replay", "evt_never_received"], 1, "no recorded event evt_never_received"),
    ],
)
def test_events_replay_explains_what_it_refuses(data: DataDir, args: list[str], code: int, message: str) -> None:
    done = run_comptoir(*args, env=data.env(), expect=code)
    assert message in done.stderr
    assert "failed again" not in done.stderr  # an event never received did not fail: it is not there


# --- worker -------------------------------------------------------------------------------------------------


def test_the_worker_alone_logs_what_it_could_not_reconcile_as_serve_s_json_lines(data: DataDir) -> None:
    # given `comptoir worker` on its own, with no Stripe key and no sandbox a `serve` left here
    worker = Background(["worker"], data.env())
    try:
        # when its first reconciliation cannot reach any payment provider
        warnings = wait_until(
            lambda: [e for e in json_logs(worker.lines["stderr"], "comptoir.worker") if e["level"] == "warning"],
            "the worker's warning as a JSON line",
        )
    finally:
        stopped = worker.interrupt()
    # then the warning is a structured line with serve's fields, saying what to set
    assert stopped == 0, worker.output()
    assert set(warnings[0]) == {"ts", "level", "logger", "msg", "request_id"}
    assert "STRIPE_SECRET_KEY" in warnings[0]["msg"]
    # and nothing reached Python's default handler as plain text
    assert not [line for line in worker.lines["stderr"] if line.startswith("worker reconcile")], worker.output()


# --- reconcile against a separate sandbox process ----------------------------------------------------------


@pytest.fixture
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`comptoir sandbox` on a free port with its own data folder and no forward-to: no webhooks."""
    port = free_port()
    folder = tmp_path_factory.mktemp("sandbox")
    args = ["sandbox", "--port", str(port), "--data", str(folder), "--api-key", SANDBOX_KEY, "--faults", "none"]
    args += ["--log-level", "warning"]
    proc = Background(args, cli_env(folder))
    url = f"http://127.0.0.1:{port}"
    try:
        proc.wait_http(url)
        yield url
    finally:
        proc.kill()


def test_reconcile_fulfils_a_session_paid_on_the_hosted_page_whose_webhook_never_came(
    data: DataDir, sandbox: str
) -> None:
    # given an order whose checkout session lives on the sandbox (created by the real Stripe gateway)
    now = datetime.now(UTC)
    order_id, customer = _pending_order(data.uows, now)
    gateway = StripeGateway(SANDBOX_KEY, [], api_base=sandbox, max_network_retries=0)
    link = checkout.start_checkout(data.uows(), gateway, customer, order_id, urls=URLS, now=now)
    # and the customer paid it on the hosted page, but no webhook reached the shop
    with httpx.Client(timeout=10) as http:
        paid = Buyer(http).pay_card(link.url).response
    assert paid.status_code == 303 and paid.headers["location"].endswith(f"session_id={link.id}")
    assert data.order_state(order_id) == ("pending", "unpaid", 0)
    env = data.env(STRIPE_SECRET_KEY=SANDBOX_KEY, COMPTOIR_STRIPE_API_BASE=sandbox)
    # when `comptoir reconcile` runs
    done = run_comptoir("reconcile", env=env)
    # then it says what it repaired, and the order is paid once
    assert "checked 1 payment attempts; 1 repaired" in done.stdout, done.stdout
    assert re.search(rf"^\s+{order_id}\s+fulfilled\s+{link.id}$", done.stdout, re.M), done.stdout
    assert data.order_state(order_id) == ("confirmed", "paid", 1)
    # and running it again repairs nothing more
    again = run_comptoir("reconcile", env=env)
    assert "checked 0 payment attempts; 0 repaired" in again.stdout
    assert data.order_state(order_id) == ("confirmed", "paid", 1)


def test_reconcile_without_a_migrated_database_says_to_run_db_upgrade(tmp_path: Path) -> None:
    done = run_comptoir("reconcile", env=cli_env(tmp_path, STRIPE_SECRET_KEY=SANDBOX_KEY), expect=1)
    assert "comptoir db upgrade" in done.stderr


# --- serve, embedded -----------------------------------------------------------------------------------------


def test_serve_embedded_takes_a_hosted_checkout_to_a_paid_order_and_logs_the_receipt(tmp_path: Path) -> None:
    # given `comptoir serve` with no Stripe key: the sandbox and the worker run beside the shop
    env = cli_env(tmp_path, COMPTOIR_SANDBOX_PORT=str(free_port()), COMPTOIR_OUTBOX_EVERY_SECONDS="0.1")
    run_comptoir("db", "upgrade", env=env)
    run_comptoir("seed-demo", env=env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    served = Background(["serve", "--port", str(port), "--dev"], env)
    try:
        served.wait_http(f"{base}/healthz")
        with httpx.Client(base_url=base, timeout=15) as shop, httpx.Client(timeout=15) as browser:
            token = shop.post("/api/auth/login", json={"email": "client@example.com", "password": "motdepasse123"})
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            products = shop.get("/api/shops/porsche-accessories/products").json()
            placed = shop.post(
                "/api/orders",
                headers=headers,
                json={
                    "shop": "porsche-accessories",
                    "lines": [{"product_id": products[0]["id"], "quantity": 1}],
                    "payment_method": "online",
                    "delivery_address": {
                        "line1": "1 rue de Rivoli",
                        "city": "Paris",
                        "postal_code": "75001",
                        "country": "FR",
                    },
                },
            )
            assert placed.status_code == 201, placed.text
            order = placed.json()
            session = shop.post(f"/api/orders/{order['id']}/checkout-session", headers=headers)
            assert session.status_code == 200, session.text
            # when the customer pays on the embedded sandbox's hosted page (the success page is not visited)
            paid = Buyer(browser).pay_card(session.json()["url"]).response
            assert paid.status_code == 303, paid.text
            assert paid.headers["location"] == f"{base}/checkout/success?session_id={session.json()['id']}"

            # then the signed webhook, forwarded by the sandbox, makes the order paid and confirmed
            def settled() -> dict[str, Any] | None:
                current = shop.get(f"/api/orders/{order['id']}", headers=headers).json()
                return current if current["payment_status"] == "paid" else None

            final = wait_until(settled, "the webhook to mark the order paid", DEADLINE)
            assert (final["status"], final["total"]) == ("confirmed", order["total"])
            # and the worker sent the receipt through the console mailer (the log)
            receipt = wait_until(
                lambda: [
                    m
                    for m in json_logs(served.lines["stderr"], "comptoir.mail")
                    if "reçu" in m.get("mail_subject", "")  # in French: the customer chose no language
                ],
                "the receipt in the log",
                DEADLINE,
            )
            assert [m["mail_to"] for m in receipt] == ["client@example.com"]
            assert order["number"] in receipt[0]["mail_subject"]
            assert "Total payé" in receipt[0]["msg"]
            # and the success page, visited late, shows the order paid
            landing = browser.get(paid.headers["location"])
            assert landing.status_code == 200 and order["number"] in landing.text
        # when Ctrl+C reaches the server / then everything stops cleanly
        assert served.interrupt() == 0, served.output()
    finally:
        served.kill()
