"""``Sandbox``: the composition root and the internal API other parts of the sandbox use.

The HTTP routes, the hosted pages, the webhook deliverer and the control API all change state
through this object. Every public method runs inside ``transaction()``: one re-entrant lock
(thread-safe), one SQLite commit at the end, then new events are announced to listeners.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any
from urllib.parse import urlencode

from . import checkout, payment_methods, payments, refunds
from .checkout import CheckoutResult
from .clock import OFFSET_META, SandboxClock
from .config import SandboxConfig
from .context import PaymentIntentListener
from .errors import StripeError
from .events import EventBus
from .idempotency import IdempotencyLayer
from .ids import new_id
from .params import Params
from .store import Store


class Sandbox:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.store = Store(config.database_path)
        offset = int(self.store.meta.get(OFFSET_META, config.clock_offset))
        self.clock = SandboxClock(offset)
        self.lock = threading.RLock()
        self._depth = 0
        self.bus = EventBus(self.store, self.clock, config.api_version, self.transaction)
        self.idempotency = IdempotencyLayer(self.store, self.clock)
        self.payment_intent_listeners: list[PaymentIntentListener] = [checkout.on_payment_intent_changed]
        self._task_handlers = {
            "settle_refund": refunds.settle,
            "settle_sepa": payments.settle_sepa,
            "expire_authorisation": payments.expire_authorisation,
        }

    @contextmanager
    def transaction(self) -> Iterator[Sandbox]:
        """Events are announced (handed to delivery) after the lock is released, also when the
        body raises: a declined card raises a card error yet keeps its ``payment_failed`` events."""
        announced: list[str] = []
        try:
            with self.lock:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                    if self._depth == 0:
                        self.store.flush()
                        announced = self.bus.take_unannounced()
        finally:
            if announced:
                self.bus.announce(announced)

    # --- reading ---------------------------------------------------------------------------

    def get(self, object_id: str) -> dict[str, Any] | None:
        """A copy of any stored object's public JSON (``None`` when unknown)."""
        with self.lock:
            obj = self.store.get(object_id)
            return json.loads(json.dumps(obj)) if obj is not None else None

    def checkout_session(self, session_id: str) -> dict[str, Any] | None:
        """The session plus its ``line_items`` list and the name it asked to show, for the hosted page."""
        with self.lock:
            session = self.store.get(session_id, "checkout.session")
            if session is None:
                return None
            view = json.loads(json.dumps(session))
            view["line_items"] = {
                "object": "list",
                "has_more": False,
                "url": f"/v1/checkout/sessions/{session_id}/line_items",
                "data": json.loads(json.dumps(self.store.private[session_id]["line_items"])),
            }
            view["display_name"] = self.store.private[session_id].get("display_name")
            return view

    def checkout_completed_event(self, session_id: str) -> str | None:
        """The id of the session's ``checkout.session.completed`` event (None while it is open)."""
        with self.lock:
            private = self.store.private.get(session_id)
            return private.get("completed_event") if private else None

    def webhook_secret(self, endpoint_id: str) -> str | None:
        with self.lock:
            private = self.store.private.get(endpoint_id)
            return private.get("secret") if private else None

    def payment_method_for_card(
        self, number: str, exp_month: Any, exp_year: Any, cvc: str | None = None, billing: Any = None
    ) -> dict[str, Any]:
        """Tokenise raw card details (Stripe.js stand-in); raises 402 ``StripeError`` on bad input."""
        with self.transaction():
            return json.loads(json.dumps(payment_methods.create_card(self, number, exp_month, exp_year, cvc, billing)))

    # --- hosted checkout -----------------------------------------------------------------------

    def complete_checkout_with_card(
        self,
        session_id: str,
        *,
        number: str,
        exp_month: Any,
        exp_year: Any,
        cvc: str | None = None,
        email: str | None = None,
        name: str | None = None,
    ) -> CheckoutResult:
        """Pay an open session with raw card details typed on the hosted page.

        Raises ``StripeError`` (402 ``card_error`` for invalid input or a decline, 400 for a
        session that is no longer open); after a decline the session stays open and a new card
        can be tried. Returns ``status="requires_action"`` with the 3DS page as ``redirect_url``
        for cards that need authentication.
        """
        with self.transaction():
            return checkout.complete_with_card(
                self, session_id, number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc, email=email, name=name
            )

    def complete_checkout_with_payment_method(
        self, session_id: str, payment_method: str, *, email: str | None = None, name: str | None = None
    ) -> CheckoutResult:
        """Same as ``complete_checkout_with_card`` with an existing ``pm_…`` or a ``pm_card_*`` id."""
        with self.transaction():
            return checkout.complete_with_payment_method(self, session_id, payment_method, email=email, name=name)

    def complete_checkout_with_sepa(
        self, session_id: str, *, iban: str, email: str | None = None, name: str | None = None
    ) -> CheckoutResult:
        """Pay with SEPA Direct Debit: the session completes ``unpaid`` and settles later."""
        with self.transaction():
            return checkout.complete_with_sepa(self, session_id, iban=iban, email=email, name=name)

    # --- dashboard -------------------------------------------------------------------------------

    def refund_in_dashboard(self, pi_id: str) -> dict[str, Any]:
        """Refund what is left of a payment, as a merchant clicking Refund in the Dashboard: no API
        request, so its events carry ``request.id = null``. Raises ``StripeError`` when it cannot."""
        with self.transaction():
            return json.loads(json.dumps(refunds.create(self, Params({"payment_intent": pi_id}))))

    def dashboard_snapshot(self, limit: int = 15) -> dict[str, Any]:
        """Copies of the newest payments, sessions, refunds and events, each event's deliveries and
        each payment's refunded amount."""
        with self.lock:
            newest = {
                kind: json.loads(json.dumps(list(islice(self.store.newest_first(kind), limit))))
                for kind in ("payment_intent", "checkout.session", "refund", "event")
            }
            deliveries = {event["id"]: self.bus.list_deliveries(event["id"]) for event in newest["event"]}
            refunded = {
                pi["id"]: (self.store.get(pi["latest_charge"], "charge") or {}).get("amount_refunded", 0)
                for pi in newest["payment_intent"]
                if pi.get("latest_charge")
            }
            return {**newest, "deliveries": deliveries, "refunded": refunded}

    # --- 3-D Secure ----------------------------------------------------------------------------

    def complete_3ds(self, pi_id: str) -> dict[str, Any]:
        """The buyer clicked Complete. Returns the PaymentIntent (a decline after authentication
        is reflected in its status and ``last_payment_error``, not raised). A
        ``confirmation_method=manual`` intent is not charged here: it waits in
        ``requires_confirmation`` for the server's confirm."""
        with self.transaction():
            pi = payments.get(self, pi_id)
            try:
                payments.complete_3ds(self, pi)
            except StripeError as error:
                if error.http_status != 402:
                    raise
            return payments.snapshot(pi)

    def fail_3ds(self, pi_id: str) -> dict[str, Any]:
        """The buyer clicked Fail: ``payment_intent_authentication_failure``."""
        with self.transaction():
            return payments.snapshot(payments.fail_3ds(self, payments.get(self, pi_id)))

    def three_ds_return_url(self, pi_id: str) -> str | None:
        """Where the challenge page sends the buyer afterwards (Stripe's redirect semantics)."""
        with self.lock:
            pi = self.store.get(pi_id, "payment_intent")
            if pi is None:
                return None
            return_url = self.store.private[pi_id].get("return_url")
            if not return_url:
                return None
            if self.store.private[pi_id].get("checkout_session"):
                return return_url
            status = {
                "succeeded": "succeeded",
                "requires_capture": "succeeded",
                "requires_confirmation": "succeeded",
                "processing": "pending",
            }.get(pi["status"], "failed")
            separator = "&" if "?" in return_url else "?"
            return (
                return_url
                + separator
                + urlencode(
                    {
                        "payment_intent": pi_id,
                        "payment_intent_client_secret": pi["client_secret"],
                        "redirect_status": status,
                    }
                )
            )

    # --- time ----------------------------------------------------------------------------------

    def schedule(self, delay: int, kind: str, payload: dict[str, Any]) -> None:
        """Run ``kind`` (a task handler) once the sandbox clock reaches now + ``delay``."""
        self.store.put_task(
            {"id": new_id("task"), "due_at": self.clock.now() + delay, "kind": kind, "payload": payload}
        )

    def settle(self) -> int:
        """Do everything that is due: delayed refunds and debits, session expiry, key pruning."""
        with self.transaction():
            now = self.clock.now()
            due = sorted((t for t in self.store.tasks.values() if t["due_at"] <= now), key=lambda t: t["due_at"])
            for task in due:
                self._task_handlers[task["kind"]](self, task["payload"])
                self.store.finish_task(task["id"])
            expired = checkout.expire_due(self)
            self.idempotency.prune()
            return len(due) + expired

    def advance_clock(self, seconds: int) -> int:
        """Move the sandbox clock forward, persist the offset, then ``settle()``."""
        with self.transaction():
            self.clock.advance(seconds)
            self.store.set_meta(OFFSET_META, str(self.clock.offset))
        self.settle()
        return self.clock.now()

    def reset(self) -> None:
        """Forget every object, event, key and task (the control API's reset).

        The clock is not state but time: it keeps its offset in memory, so the persisted offset is
        written back too, or a restart after a reset would rewind the clock."""
        with self.transaction():
            self.store.reset()
            self.store.set_meta(OFFSET_META, str(self.clock.offset))

    def close(self) -> None:
        with self.lock:
            self.store.close()
