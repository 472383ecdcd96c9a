"""The background worker: sends the outbox and runs the reconciler on a schedule.

`comptoir worker` runs it as its own process; `comptoir serve` runs it in a thread beside the
HTTP server in the embedded (demo) mode. Several workers may run at once: the outbox claims
rows with a lease, and reconciliation repeats nothing that is already done.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, tzinfo

from comptoir.domain.errors import ComptoirError
from comptoir.services import reconciliation
from comptoir.services.merchant import deadlines
from comptoir.services.messages import outbox
from comptoir.services.messages.notifications import Mailer
from comptoir.services.payments import duplicates
from comptoir.services.payments.provider import PaymentGateway
from comptoir.services.ports import Clock, UnitOfWork

log = logging.getLogger("comptoir.worker")


@dataclass(frozen=True, slots=True)
class WorkerSchedule:
    outbox_every: float = 2.0
    reconcile_every: float = 60.0


class Worker:
    def __init__(
        self,
        new_uow: Callable[[], UnitOfWork],
        gateway: PaymentGateway,
        mailer: Mailer,
        clock: Clock,
        schedule: WorkerSchedule | None = None,
        zone: tzinfo = UTC,
    ) -> None:
        self._new_uow = new_uow
        self._gateway = gateway
        self._mailer = mailer
        self._clock = clock
        self._schedule = schedule or WorkerSchedule()
        self._zone = zone
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def send_outbox(self) -> outbox.DispatchReport:
        return outbox.dispatch_due(self._new_uow(), self._mailer, now=self._clock())

    def refund_duplicates(self) -> list[duplicates.DuplicateRefund]:
        """Refund payments an order is not owed and release holds on cards for cancelled orders (webhooks
        flag them; no Stripe call may happen inside a webhook's transaction)."""
        return duplicates.refund_duplicates(self._new_uow(), self._gateway, now=self._clock())

    def reconcile(self) -> reconciliation.ReconcileReport:
        """One reconciliation; what it could not check is logged, as `comptoir reconcile` prints it."""
        report = reconciliation.reconcile(self._new_uow(), self._gateway, now=self._clock())
        for error in report.errors:
            log.warning("worker reconcile: %s", error)
        return report

    def warn_capture_deadlines(self) -> int:
        """E-mail merchants about card authorisations a day from their deadline (once each)."""
        return deadlines.warn_merchants(self._new_uow(), now=self._clock(), zone=self._zone)

    def run(self) -> None:
        """Loop until `stop()`: outbox often, reconciliation now and then. Errors are logged, not fatal."""
        next_reconcile = 0.0
        elapsed = 0.0
        while not self._stop.is_set():
            if elapsed >= next_reconcile:
                self._guarded("reconcile", self.reconcile)
                self._guarded("capture deadlines", self.warn_capture_deadlines)
                next_reconcile = elapsed + self._schedule.reconcile_every
            self._guarded("duplicates", self.refund_duplicates)
            self._guarded("outbox", self.send_outbox)
            if self._stop.wait(self._schedule.outbox_every):
                break
            elapsed += self._schedule.outbox_every

    def run_until_signalled(self) -> None:
        """`run()` in this (the main) thread until SIGINT or SIGTERM, as `comptoir worker` does.

        The first signal asks the loop to stop once the job in progress has finished, rather than
        raising KeyboardInterrupt in the middle of it: an interrupted transaction could leave the
        SQLite engine's writer lock taken (the process then hung on its way out) and an interrupted
        send could leave a message half delivered. A second Ctrl+C interrupts at once.
        """

        def stop(_signum: int, _frame: object) -> None:
            self._stop.set()
            signal.signal(signal.SIGINT, signal.default_int_handler)

        previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.run()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.run, name="comptoir-worker", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _guarded(self, name: str, job: Callable[[], object]) -> None:
        try:
            job()
        except ComptoirError as exc:
            log.warning("worker %s: %s", name, exc.detail)
        except Exception:
            log.exception("worker %s failed", name)
