"""Mail leaves through the outbox, against a real SMTP server in the test process (aiosmtpd).

The outbox is dispatched on SQLite and PostgreSQL: each due message is sent once per run and
marked sent; a refusing server gets the message again after a backoff, never before; no
database transaction is open while the SMTP conversation runs; two dispatchers at once share
the work without sending anything twice; and a message whose attempts are exhausted stops.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text

from comptoir.adapters.db.engine import make_engine
from comptoir.adapters.db.uow import SqlUnitOfWorkFactory, sql_unit_of_work_factory
from comptoir.adapters.mail import ConsoleMailer, SmtpMailer
from comptoir.domain.actors import SYSTEM_WEBHOOK, Role
from comptoir.records.payments import OutboxMessage
from comptoir.services.merchant import workflow
from comptoir.services.messages import notifications, outbox
from comptoir.services.orders import ordering
from comptoir.services.payments import checkout, fulfilment
from comptoir.services.payments.checkout import CheckoutUrls
from comptoir.services.ports import NewMessage
from comptoir.worker import Worker, WorkerSchedule
from tests.factories import NOW, add_product, add_shop, add_user, order_of
from tests.fakes import FakeGateway
from tests.mailbox import Mailbox, RecordingHandler, free_port, running_mailbox
from tests.support import race

SENDER = "Comptoir <shop@comptoir.test>"
URLS = CheckoutUrls("http://shop/checkout/success?session_id={CHECKOUT_SESSION_ID}", "http://shop/checkout/cancel")


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with running_mailbox() as box:
        yield box


def _paid_order(uows: SqlUnitOfWorkFactory) -> tuple[str, str, str]:
    """A paid order through the real services: (order id, customer email, merchant email)."""
    shop = add_shop(uows)
    product = add_product(uows, shop, unit_price=25000, stock=5)
    customer = add_user(uows)
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop])
    order = ordering.place_order(uows(), customer, order_of(shop, (product, 2)), NOW)
    gateway = FakeGateway()
    link = checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW)
    assert fulfilment.fulfil_checkout(uows(), gateway.pay(link.id), actor=SYSTEM_WEBHOOK, now=NOW).outcome == "paid"
    return order.id, customer.email, merchant.email


def _queue(uows: SqlUnitOfWorkFactory, count: int, *, at: datetime = NOW) -> list[str]:
    """`count` messages queued through the notifications service; their dedupe keys."""
    keys = [f"test:{i}" for i in range(count)]
    with uows() as uow:
        for i, key in enumerate(keys):
            notifications.queue(
                uow,
                dedupe_key=key,
                topic="test",
                recipient=f"r{i}@example.com",
                subject=f"message {i}",
                body=f"body {i}\n",
                order_id=None,
                at=at,
            )
        uow.commit()
    return keys


def _rows(uows: SqlUnitOfWorkFactory) -> list[OutboxMessage]:
    with uows() as uow:
        rows = list(uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        uow.session.expunge_all()  # readable after the unit of work ends
        return rows


# --- the SMTP adapter -------------------------------------------------------------------------------


def test_smtp_mailer_sends_a_real_message_with_sender_recipient_subject_and_body(mailbox: Mailbox) -> None:
    # given an SMTP mailer pointed at a real server
    mailer = SmtpMailer(mailbox.url, SENDER, timeout=5)
    # when it sends a receipt
    mailer.send(to="ann@example.com", subject="Café Lumière: receipt for order 42", body="Total paid: €34.00\n")
    # then the server received exactly that message, from our sender, to that recipient
    (got,) = mailbox.handler.wait_for(1)
    assert got.mail_from == "shop@comptoir.test"
    assert got.rcpt_tos == ("ann@example.com",)
    assert got.message["From"] == SENDER
    assert got.message["To"] == "ann@example.com"
    assert got.subject == "Café Lumière: receipt for order 42"
    assert got.body == "Total paid: €34.00\n"


def test_smtp_mailer_logs_in_with_the_credentials_in_its_url() -> None:
    # given a server that requires AUTH, and a password that needs URL quoting
    with running_mailbox(login=("shop", "p@ss:word")) as box:
        mailer = SmtpMailer(f"smtp://shop:p%40ss%3Aword@{box.host}:{box.port}", SENDER, timeout=5)
        # when it sends
        mailer.send(to="ann@example.com", subject="hello", body="hi\n")
        # then it logged in with the unquoted credentials before the message was accepted
        assert [(d.subject, d.authenticated) for d in box.handler.wait_for(1)] == [("hello", True)]


def test_smtp_mailer_raises_when_the_server_refuses(mailbox: Mailbox) -> None:
    # given a server that answers DATA with a permanent refusal
    with running_mailbox(RecordingHandler(refuse_first=1, refusal="554 5.7.1 Rejected")) as box:
        mailer = SmtpMailer(box.url, SENDER, timeout=5)
        # when / then the refusal surfaces as an exception (the outbox retries it)
        with pytest.raises(Exception, match="Rejected"):
            mailer.send(to="ann@example.com", subject="x", body="y\n")
        assert box.handler.delivered == []


def test_smtp_mailer_rejects_a_url_that_is_not_smtp() -> None:
    with pytest.raises(ValueError, match="smtp://"):
        SmtpMailer("http://mail.example.com", SENDER)


def test_console_mailer_logs_the_message_instead_of_sending_it(caplog: pytest.LogCaptureFixture) -> None:
    # given the console mailer (the demo's default)
    mailer = ConsoleMailer(SENDER)
    # when it "sends" a receipt
    with caplog.at_level(logging.INFO, logger="comptoir.mail"):
        mailer.send(to="ann@example.com", subject="receipt for order 42", body="Total paid: €34.00\n")
    # then one log line carries the recipient, the subject and the body
    (record,) = [r for r in caplog.records if r.name == "comptoir.mail"]
    assert "ann@example.com" in record.getMessage()
    assert "receipt for order 42" in record.getMessage()
    assert "Total paid: €34.00" in record.getMessage()
    assert (record.mail_to, record.mail_subject) == ("ann@example.com", "receipt for order 42")  # type: ignore[attr-defined]


# --- dispatching the outbox ------------------------------------------------------------------------


def test_dispatch_sends_the_paid_order_s_receipt_and_alert_once_and_marks_them_sent(uows, mailbox: Mailbox) -> None:
    # given a paid order: a receipt for the customer and an alert for the merchant are queued
    order_id, customer, merchant = _paid_order(uows)
    mailer = SmtpMailer(mailbox.url, SENDER, timeout=5)
    # when the outbox is dispatched twice
    first = outbox.dispatch_due(uows(), mailer, now=NOW)
    second = outbox.dispatch_due(uows(), mailer, now=NOW + timedelta(minutes=5))
    # then the two messages went out once each, to the right people, and are marked sent
    assert (first.sent, first.failed, second.sent, second.failed) == (2, 0, 0, 0)
    delivered = mailbox.handler.wait_for(2)
    assert len(delivered) == 2
    by_recipient = {d.rcpt_tos: d for d in delivered}
    assert set(by_recipient) == {(customer,), (merchant,)}
    assert "reçu de la commande" in by_recipient[(customer,)].subject  # nobody chose a language: the default
    assert "Total payé : 500,00\xa0€" in by_recipient[(customer,)].body
    assert by_recipient[(merchant,)].subject.startswith("Nouvelle commande payée")
    rows = _rows(uows)
    assert [(r.order_id, r.sent_at, r.attempts, r.last_error) for r in rows] == [(order_id, NOW, 0, None)] * 2


def test_a_refusing_server_gets_the_message_again_only_after_the_backoff(uows) -> None:
    # given one queued message and a server that refuses the first two deliveries (4xx, then 5xx-like retry)
    _queue(uows, 1)
    handler = RecordingHandler(refuse_first=2, refusal="451 4.3.0 Mailbox busy")
    with running_mailbox(handler) as box:
        mailer = SmtpMailer(box.url, SENDER, timeout=5)
        # when it is dispatched: refused, rescheduled 30 s later with the error kept
        assert outbox.dispatch_due(uows(), mailer, now=NOW) == outbox.DispatchReport(sent=0, failed=1)
        (row,) = _rows(uows)
        assert (row.attempts, row.next_attempt_at, row.sent_at) == (1, NOW + timedelta(seconds=30), None)
        assert "Mailbox busy" in (row.last_error or "")
        # then a run before the backoff is over does not touch it
        assert outbox.dispatch_due(uows(), mailer, now=NOW + timedelta(seconds=29)) == outbox.DispatchReport(0, 0)
        assert handler.attempts == 1
        # and the next due run is refused again, doubling the wait to 60 s
        second = NOW + timedelta(seconds=30)
        assert outbox.dispatch_due(uows(), mailer, now=second) == outbox.DispatchReport(sent=0, failed=1)
        (row,) = _rows(uows)
        assert (row.attempts, row.next_attempt_at) == (2, second + timedelta(seconds=60))
        assert outbox.dispatch_due(uows(), mailer, now=second + timedelta(seconds=59)) == outbox.DispatchReport(0, 0)
        # and the third try goes through and is marked sent, the error cleared
        third = second + timedelta(seconds=60)
        assert outbox.dispatch_due(uows(), mailer, now=third) == outbox.DispatchReport(sent=1, failed=0)
        assert [d.subject for d in handler.wait_for(1)] == ["message 0"]
        assert handler.attempts == 3
        (row,) = _rows(uows)
        assert (row.sent_at, row.attempts, row.last_error) == (third, 2, None)


def test_a_message_whose_attempts_are_exhausted_is_never_tried_again(uows) -> None:
    # given a message and a server that always refuses it
    _queue(uows, 1)
    handler = RecordingHandler(refuse_first=10**6, refusal="550 5.1.1 No such user")
    with running_mailbox(handler) as box:
        mailer = SmtpMailer(box.url, SENDER, timeout=5)
        # when the outbox is dispatched every time the message becomes due again
        at = NOW
        for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
            assert outbox.dispatch_due(uows(), mailer, now=at) == outbox.DispatchReport(sent=0, failed=1)
            at += outbox.backoff(attempt)
        # then after MAX_ATTEMPTS refusals it is left alone, even much later
        assert outbox.dispatch_due(uows(), mailer, now=at + timedelta(days=30)) == outbox.DispatchReport(0, 0)
    assert handler.attempts == outbox.MAX_ATTEMPTS
    (row,) = _rows(uows)
    assert (row.attempts, row.sent_at) == (outbox.MAX_ATTEMPTS, None)
    assert "No such user" in (row.last_error or "")


class _ProbingMailer:
    """Sends through `inner`, first asking `probe` whether any database transaction is open."""

    def __init__(self, inner: SmtpMailer, probe: Callable[[], str]) -> None:
        self.inner = inner
        self.probe = probe
        self.seen: list[str] = []

    def send(self, *, to: str, subject: str, body: str) -> None:
        self.seen.append(self.probe())
        self.inner.send(to=to, subject=subject, body=body)


def _transaction_probe(db_url: str) -> tuple[Callable[[], str], Engine]:
    """A check that no other connection holds a transaction: on SQLite, take the write lock without
    waiting; on PostgreSQL, look for sessions idle in a transaction."""
    engine = make_engine(db_url, connect_args={"timeout": 0} if db_url.startswith("sqlite") else {})
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _no_wait(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute("PRAGMA busy_timeout=0")

        def probe() -> str:
            try:
                with engine.begin() as conn:  # BEGIN IMMEDIATE: fails at once if a writer is open
                    conn.execute(text("SELECT 1"))
            except Exception as exc:
                return f"locked: {exc}"
            return "free"

    else:

        def probe() -> str:
            with engine.connect() as conn:
                busy = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
                    )
                ).scalar_one()
                conn.rollback()
            return "free" if busy == 0 else f"{busy} session(s) idle in transaction"

    return probe, engine


def test_no_database_transaction_is_open_while_the_smtp_server_is_talked_to(db_url: str, uows, mailbox) -> None:
    # given three queued messages and a mailer that checks the database before each send
    _queue(uows, 3)
    probe, probe_engine = _transaction_probe(db_url)
    mailer = _ProbingMailer(SmtpMailer(mailbox.url, SENDER, timeout=5), probe)
    try:
        # when the outbox is dispatched
        report = outbox.dispatch_due(uows(), mailer, now=NOW)
    finally:
        probe_engine.dispose()
    # then every send happened with no transaction open (the claim was committed first)
    assert report == outbox.DispatchReport(sent=3, failed=0)
    assert mailer.seen == ["free"] * 3
    assert len(mailbox.handler.wait_for(3)) == 3


def test_a_dispatcher_leaves_alone_what_another_claimed_within_the_lease(uows, mailbox: Mailbox) -> None:
    # given four queued messages, and dispatcher A holding them in the middle of its first send
    _queue(uows, 4)
    a_sending, b_done = threading.Event(), threading.Event()
    smtp = SmtpMailer(mailbox.url, SENDER, timeout=5)

    class HeldMailer:
        def send(self, *, to: str, subject: str, body: str) -> None:
            if not a_sending.is_set():
                a_sending.set()
                assert b_done.wait(15), "dispatcher B never finished"
            smtp.send(to=to, subject=subject, body=body)

    reports: dict[str, outbox.DispatchReport] = {}
    a = threading.Thread(target=lambda: reports.__setitem__("a", outbox.dispatch_due(uows(), HeldMailer(), now=NOW)))
    a.start()
    try:
        assert a_sending.wait(15), "dispatcher A never started sending"
        # when dispatcher B runs at the same moment, and again just before the lease ends
        reports["b"] = outbox.dispatch_due(uows(), smtp, now=NOW)
        reports["b_late"] = outbox.dispatch_due(uows(), smtp, now=NOW + outbox.LEASE - timedelta(seconds=1))
    finally:
        b_done.set()
        a.join(15)
    # then B found nothing to send, A sent all four, and each arrived once
    assert reports == {
        "a": outbox.DispatchReport(sent=4, failed=0),
        "b": outbox.DispatchReport(0, 0),
        "b_late": outbox.DispatchReport(0, 0),
    }
    assert sorted(d.subject for d in mailbox.handler.wait_for(4)) == [f"message {i}" for i in range(4)]
    assert all(row.sent_at == NOW for row in _rows(uows))


def test_a_claim_whose_dispatcher_died_is_taken_over_when_the_lease_ends(uows, mailbox: Mailbox) -> None:
    # given a dispatcher that claimed a message and died before sending it
    _queue(uows, 1)

    class Dying:
        def send(self, *, to: str, subject: str, body: str) -> None:
            raise SystemExit("worker killed")

    with pytest.raises(SystemExit):
        outbox.dispatch_due(uows(), Dying(), now=NOW)
    smtp = SmtpMailer(mailbox.url, SENDER, timeout=5)
    # when another dispatcher runs within the lease, then after it
    within = outbox.dispatch_due(uows(), smtp, now=NOW + outbox.LEASE - timedelta(seconds=1))
    after = outbox.dispatch_due(uows(), smtp, now=NOW + outbox.LEASE)
    # then the message is not lost: it goes out once the lease is over
    assert (within, after) == (outbox.DispatchReport(0, 0), outbox.DispatchReport(sent=1, failed=0))
    assert [d.subject for d in mailbox.handler.wait_for(1)] == ["message 0"]


def test_concurrent_dispatchers_send_every_message_exactly_once(db_url: str, uows, mailbox: Mailbox) -> None:
    # given twenty queued messages and two dispatchers (own engines, like two worker processes)
    _queue(uows, 20)
    engines = [make_engine(db_url) for _ in range(2)]
    smtp = SmtpMailer(mailbox.url, SENDER, timeout=5)

    def drain(index: int) -> int:
        factory = sql_unit_of_work_factory(engines[index])
        sent = 0
        while True:  # small batches so the two claims interleave
            report = outbox.dispatch_due(factory(), smtp, now=NOW, limit=3)
            sent += report.sent
            if report.sent == 0 and report.failed == 0:
                return sent

    try:
        # when both drain the outbox at the same time
        totals = race([lambda: drain(0), lambda: drain(1)])
    finally:
        for engine in engines:
            engine.dispose()
    # then every message was sent exactly once in all, and all are marked sent
    assert all(isinstance(total, int) for total in totals), totals
    assert sum(t for t in totals if isinstance(t, int)) == 20
    subjects = [d.subject for d in mailbox.handler.wait_for(20)]
    assert sorted(subjects) == sorted(f"message {i}" for i in range(20))
    assert all(row.sent_at == NOW for row in _rows(uows))


# --- the worker ------------------------------------------------------------------------------------


def test_the_worker_sends_queued_mail_on_its_schedule_and_stops_cleanly(uows, mailbox: Mailbox) -> None:
    # given a paid order's two messages, and a worker with a tiny outbox interval
    order_id, customer, merchant = _paid_order(uows)
    job = Worker(
        uows,
        FakeGateway(),
        SmtpMailer(mailbox.url, SENDER, timeout=5),
        lambda: NOW,
        WorkerSchedule(outbox_every=0.02, reconcile_every=3600),
    )
    # when it runs in its thread
    thread = job.start()
    try:
        delivered = mailbox.handler.wait_for(2)
    finally:
        job.stop(timeout=15)
    # then both messages went out, once, are marked sent, and the thread has ended
    assert not thread.is_alive()
    assert sorted(d.rcpt_tos[0] for d in delivered) == sorted([customer, merchant])
    assert len(mailbox.handler.delivered) == 2
    assert [(r.order_id, r.sent_at) for r in _rows(uows)] == [(order_id, NOW)] * 2


def test_a_worker_keeps_running_when_the_mail_server_is_down_and_stop_does_not_wait_a_full_interval(uows) -> None:
    # given a queued message, no SMTP server listening, and a worker with an hour-long interval
    _queue(uows, 1)
    tried = threading.Event()
    down = SmtpMailer(f"smtp://127.0.0.1:{free_port()}", SENDER, timeout=2)

    class Watched:
        def send(self, *, to: str, subject: str, body: str) -> None:
            try:
                down.send(to=to, subject=subject, body=body)
            finally:
                tried.set()

    job = Worker(uows, FakeGateway(), Watched(), lambda: NOW, WorkerSchedule(outbox_every=3600, reconcile_every=3600))
    thread = job.start()
    # when its first send has failed, the worker is stopped (a run in progress finishes first)
    assert tried.wait(15), "the worker never tried to send"
    job.stop(timeout=15)
    # then the thread ended without waiting out its interval, and the failure was recorded, not raised
    assert not thread.is_alive()
    (row,) = _rows(uows)
    assert (row.attempts, row.sent_at) == (1, None)
    assert "ConnectionRefusedError" in (row.last_error or "")


def test_a_message_is_queued_once_per_dedupe_key_even_within_one_transaction(uows: SqlUnitOfWorkFactory) -> None:
    """`queue` is one INSERT … ON CONFLICT DO NOTHING: True when it queued, False when the key was there."""

    def queue(uow: Any, key: str) -> bool:
        return notifications.queue(
            uow, dedupe_key=key, topic="test", recipient="r@example.com", subject="s", body="b\n", order_id=None, at=NOW
        )

    with uows() as uow:
        assert queue(uow, "test:once") is True
        assert queue(uow, "test:once") is False  # the same transaction sees its own row
        uow.commit()
    with uows() as uow:
        assert queue(uow, "test:once") is False
        assert queue(uow, "test:other") is True
        uow.commit()
    assert [row.dedupe_key for row in _rows(uows)] == ["test:once", "test:other"]


def test_several_messages_go_in_one_statement_and_known_keys_are_skipped(
    uows: SqlUnitOfWorkFactory, engine: Engine
) -> None:
    # given a message already queued
    with uows() as uow:
        notifications.queue(
            uow,
            dedupe_key="test:b",
            topic="test",
            recipient="b@example.com",
            subject="s",
            body="b\n",
            order_id=None,
            at=NOW,
        )
        uow.commit()
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_: statements.append(sql))
    # when three messages, one of them with that key, are queued together
    with uows() as uow:
        drafts = [NewMessage(f"test:{k}", "test", f"{k}@example.com", "s", "b\n", None) for k in "abc"]
        queued = uow.outbox.add_if_new(drafts, at=NOW)
        uow.commit()
    # then one INSERT queued the two new ones, and the known one is left as it was
    assert queued == 2
    assert sum(sql.lstrip().upper().startswith("INSERT") for sql in statements) == 1
    assert sorted((row.dedupe_key, row.recipient) for row in _rows(uows)) == [
        ("test:a", "a@example.com"),
        ("test:b", "b@example.com"),
        ("test:c", "c@example.com"),
    ]


def test_ctrl_c_during_a_send_lets_the_send_finish_and_then_stops_the_worker(uows, mailbox: Mailbox) -> None:
    # given a queued message, and a mail server that receives Ctrl+C while the worker is sending to it
    _queue(uows, 1)
    smtp = SmtpMailer(mailbox.url, SENDER, timeout=5)

    class InterruptedWhileSending:
        def send(self, *, to: str, subject: str, body: str) -> None:
            signal.raise_signal(signal.SIGINT)  # the operator presses Ctrl+C now
            smtp.send(to=to, subject=subject, body=body)

    job = Worker(
        uows,
        FakeGateway(),
        InterruptedWhileSending(),
        lambda: NOW,
        WorkerSchedule(outbox_every=3600, reconcile_every=3600),
    )
    before = signal.getsignal(signal.SIGINT)
    # when the worker runs in this (the main) thread, as `comptoir worker` runs it
    job.run_until_signalled()
    # then the send in progress finished and was recorded, the loop ended without waiting its hour,
    # and Ctrl+C's handler is back as it was
    assert [d.rcpt_tos[0] for d in mailbox.handler.wait_for(1)] == ["r0@example.com"]
    (row,) = _rows(uows)
    assert row.sent_at == NOW
    assert signal.getsignal(signal.SIGINT) is before


# --- each recipient's language --------------------------------------------------------------------


def _paid_order_for(uows: SqlUnitOfWorkFactory, *, customer_locale: str | None, merchant_locale: str | None):
    """A paid delivery order (2 × 250.00 EUR) of a customer and a merchant in these languages."""
    shop = add_shop(uows)
    product = add_product(uows, shop, name="Jante", unit_price=25000, stock=5)
    customer = add_user(uows, locale=customer_locale)
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop], locale=merchant_locale)
    order = ordering.place_order(uows(), customer, order_of(shop, (product, 2)), NOW)
    gateway = FakeGateway()
    link = checkout.start_checkout(uows(), gateway, customer, order.id, urls=URLS, now=NOW)
    assert fulfilment.fulfil_checkout(uows(), gateway.pay(link.id), actor=SYSTEM_WEBHOOK, now=NOW).outcome == "paid"
    return order, customer.email, merchant.email


def _delivered(uows: SqlUnitOfWorkFactory, mailbox: Mailbox, count: int) -> dict[str, Any]:
    """Dispatch the outbox to the real SMTP server; what each recipient received."""
    assert outbox.dispatch_due(uows(), SmtpMailer(mailbox.url, SENDER, timeout=5), now=NOW).sent == count
    return {d.rcpt_tos[0]: d for d in mailbox.handler.wait_for(count)}


def test_a_french_customer_gets_a_french_receipt_and_an_english_one_an_english_receipt(uows, mailbox: Mailbox) -> None:
    # given two paid orders: one of a customer who chose French, one of a customer who chose English
    french, amelie, _ = _paid_order_for(uows, customer_locale="fr", merchant_locale="fr")
    english, john, _ = _paid_order_for(uows, customer_locale="en", merchant_locale="fr")
    # when the outbox is sent through the SMTP server
    got = _delivered(uows, mailbox, 4)
    # then the French customer's receipt is in French, its money written the French way
    assert got[amelie].subject.endswith(f" : reçu de la commande {french.number}")
    assert "Merci pour votre commande" in got[amelie].body
    assert "  2 pièces × Jante : 500,00\xa0€" in got[amelie].body
    assert "Total payé : 500,00\xa0€" in got[amelie].body
    # and the English customer's in English, with the euro sign first
    assert got[john].subject.endswith(f": receipt for order {english.number}")
    assert "Thank you for your order" in got[john].body
    assert "  2 pieces × Jante: €500.00" in got[john].body
    assert "Total paid: €500.00" in got[john].body


def test_a_merchants_alert_is_in_the_merchants_own_language(uows, mailbox: Mailbox) -> None:
    # given a French customer's paid order in a shop whose merchant chose English
    order, customer, merchant = _paid_order_for(uows, customer_locale="fr", merchant_locale="en")
    # when the outbox is sent
    got = _delivered(uows, mailbox, 2)
    # then the customer reads French and the merchant English, each in their own words
    assert got[customer].subject.endswith(f"reçu de la commande {order.number}")
    assert got[merchant].subject == f"New paid order: {order.number} (€500.00)"
    assert "Payment: online, Paid." in got[merchant].body


def test_who_chose_no_language_gets_the_services_default_language(engine, mailbox: Mailbox) -> None:
    # given a service whose default language is English, and people who chose none
    uows = sql_unit_of_work_factory(engine, default_language="en")
    order, customer, merchant = _paid_order_for(uows, customer_locale=None, merchant_locale=None)
    # when the outbox is sent
    got = _delivered(uows, mailbox, 2)
    # then both messages are in English
    assert got[customer].subject.endswith(f"receipt for order {order.number}")
    assert got[merchant].subject.startswith("New paid order")


def test_the_default_language_is_french(uows, mailbox: Mailbox) -> None:
    order, customer, merchant = _paid_order_for(uows, customer_locale=None, merchant_locale=None)
    got = _delivered(uows, mailbox, 2)
    assert got[customer].subject.endswith(f"reçu de la commande {order.number}")
    assert got[merchant].subject.startswith("Nouvelle commande payée")


def test_a_pickup_orders_code_is_told_to_its_customer_and_never_to_the_shop(uows, mailbox: Mailbox) -> None:
    # given a pickup order to pay at the counter, placed by a French customer
    shop = add_shop(uows, on_pickup=True, pickup=True, delivery=False)
    product = add_product(uows, shop, name="Merguez", unit_price=250, stock=10)
    customer = add_user(uows, locale="fr")
    merchant = add_user(uows, role=Role.MERCHANT, shops=[shop], locale="fr")
    command = order_of(shop, (product, 2), payment_method="on_pickup", delivery_address=None, pickup={})
    order = ordering.place_order(uows(), customer, command, NOW)
    with uows() as uow:
        code = uow.orders.get(order.id).pickup_code
    assert code is not None and len(code) == 4
    # when the shop marks it ready, and the outbox is sent
    workflow.mark_ready(uows(), merchant, order.id, now=NOW, gateway=FakeGateway())
    got = [(d.rcpt_tos[0], d) for d in _sent(uows, mailbox, 3)]
    # then the customer's confirmation and "ready" mail both give the code, in French
    to_customer = [d for to, d in got if to == customer.email]
    assert len(to_customer) == 2
    assert all(f"Donnez ce code au comptoir : {code}" in d.body for d in to_customer)
    assert any("À payer au retrait : 5,00\xa0€" in d.body for d in to_customer)
    # and the merchant's alert does not
    [(_, alert)] = [(to, d) for to, d in got if to == merchant.email]
    assert code not in alert.body and "code" not in alert.body.lower()


def _sent(uows: SqlUnitOfWorkFactory, mailbox: Mailbox, count: int) -> list[Any]:
    assert outbox.dispatch_due(uows(), SmtpMailer(mailbox.url, SENDER, timeout=5), now=NOW).sent == count
    return mailbox.handler.wait_for(count)


def test_an_english_customers_pickup_code_is_in_english(uows) -> None:
    shop = add_shop(uows, on_pickup=True, pickup=True, delivery=False)
    product = add_product(uows, shop, unit_price=250, stock=10)
    customer = add_user(uows, locale="en")
    command = order_of(shop, (product, 1), payment_method="on_pickup", delivery_address=None, pickup={})
    order = ordering.place_order(uows(), customer, command, NOW)
    with uows() as uow:
        code = uow.orders.get(order.id).pickup_code
        [confirmation] = [m.body for m in uow.outbox.for_order(order.id) if m.recipient == customer.email]
    assert f"Give this code at the counter: {code}" in confirmation
    assert "Total to pay at pickup: €2.50" in confirmation


def test_a_delivery_order_has_no_code_to_give(uows) -> None:
    order, _, _ = _paid_order_for(uows, customer_locale="en", merchant_locale="en")
    with uows() as uow:
        assert uow.orders.get(order.id).pickup_code is None
        assert all("code" not in m.body for m in uow.outbox.for_order(order.id))
