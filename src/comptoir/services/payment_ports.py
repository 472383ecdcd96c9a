"""Repositories of the payment side (attempts, ledger, reviews, received events, outbox).

Like `services.ports`, they hand services table records and never commit. Every write that
must happen once checks first under the order's row lock (`uow.orders.get_for_update`) and is
backed by a unique constraint, so a racing duplicate either waits and sees the row, or fails
its whole transaction (and its webhook delivery is retried) without a partial effect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from comptoir.domain.errors import Conflict
from comptoir.records.payments import LedgerEntry, OrderReview, OutboxMessage, PaymentAttempt, ReceivedEvent
from comptoir.services.ports import UnitOfWork


class AlreadyRecorded(Conflict):
    """A unique fact was inserted twice by racing transactions; the loser rolls back and does nothing."""

    code = "already_recorded"


class PaymentRepository(Protocol):
    def attempts(self, order_id: str) -> list[PaymentAttempt]:
        """Oldest first."""
        ...

    def attempt_by_provider_id(self, provider_id: str) -> PaymentAttempt | None: ...

    def add_attempt(self, attempt: PaymentAttempt) -> PaymentAttempt: ...

    def attempts_to_watch(self, kind: str, *, created_after: datetime, limit: int) -> list[PaymentAttempt]:
        """Attempts of `kind` not yet in a final state (creating, open, processing)."""
        ...

    def authorised_attempts(self, *, created_after: datetime, limit: int) -> list[PaymentAttempt]:
        """Attempts holding a card authorisation that awaits capture, oldest first."""
        ...

    def ledger(self, order_id: str) -> list[LedgerRow]:
        """The order's entries, oldest first, as plain rows: the ledger is append-only, so nothing
        in them is ever changed through the session."""
        ...

    def entry(self, kind: str, external_id: str) -> LedgerEntry | None: ...

    def add_entry_if_new(self, order_id: str, entry: LedgerRow) -> bool:
        """Insert unless `(kind, external_id)` is recorded, in one statement (a concurrent insert of the
        same key is waited for, never an error). True if this call recorded it."""
        ...

    def order_id_for_payment(self, external_id: str) -> str | None:
        """The order a provider payment (PaymentIntent id) was recorded for, if any."""
        ...

    def review(self, code: str, reference: str) -> OrderReview | None: ...

    def add_review(self, review: OrderReview) -> OrderReview: ...

    def open_reviews(self, order_id: str) -> list[OrderReview]: ...

    def open_reviews_with_code(self, code: str, *, order_id: str | None = None, limit: int = 100) -> list[OrderReview]:
        """Unresolved reviews of one kind (e.g. duplicate payments to refund), oldest first."""
        ...


class EventRepository(Protocol):
    def get(self, event_id: str) -> ReceivedEvent | None: ...

    def get_for_update(self, event_id: str) -> ReceivedEvent | None: ...

    def status(self, event_id: str) -> str | None:
        """The recorded event's status, or None: what a duplicate delivery needs, without its payload."""
        ...

    def add(self, event: ReceivedEvent) -> ReceivedEvent:
        """Flushes; raises AlreadyRecorded if a concurrent transaction inserted the same id."""
        ...

    def add_if_new(
        self, event_id: str, event_type: str, payload: Mapping[str, Any], *, status: str, at: datetime
    ) -> bool:
        """Insert the event's row, already `status` and received and processed `at`, unless one with its
        id exists, in one statement (a concurrent insert of the same id is waited for, never an error).
        True if this call inserted it."""
        ...

    def failed(self, *, limit: int) -> list[ReceivedEvent]: ...


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One ledger entry's values, as read back or to record (with Core: the ledger is append-only)."""

    kind: str
    amount: int
    currency: str
    external_id: str
    source: str
    reason: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to queue; `dedupe_key` names the fact it reports, so the fact is told once."""

    dedupe_key: str
    topic: str
    recipient: str
    subject: str
    body: str
    order_id: str | None


class OutboxRepository(Protocol):
    def add_if_new(self, messages: Sequence[NewMessage], *, at: datetime) -> int:
        """Queue each message unless one with its dedupe key exists, all in one statement backed by
        the unique key (racing writers never fail). How many this call queued."""
        ...

    def claim_due(self, now: datetime, *, limit: int, max_attempts: int) -> list[OutboxMessage]:
        """Unsent messages due at `now` with attempts left, locked against other workers (SKIP LOCKED
        where supported) until the transaction ends."""
        ...

    def get_many(self, message_ids: list[int]) -> list[OutboxMessage]: ...

    def for_order(self, order_id: str) -> list[OutboxMessage]: ...

    def order_contacts(self, customer_id: int, shop_id: int) -> OrderContacts:
        """Who a message about an order goes to, and the shop's name to sign it with, in one query."""
        ...


@dataclass(frozen=True, slots=True)
class OrderContacts:
    """Who hears about an order: its shop's name, the customer's address (None if unknown), and the
    addresses of the shop's merchants (where its alerts go)."""

    shop_name: str
    customer: str | None
    merchants: Sequence[str]


class PaymentUnitOfWork(UnitOfWork, Protocol):
    """The unit of work as the payment side sees it: the shop repositories plus its own."""

    payments: PaymentRepository
    events: EventRepository
    outbox: OutboxRepository
