"""The small Protocols services depend on; adapters implement them, app.py / cli.py wire them.

Repositories hand services the table records of `comptoir.records.shop` (services may read
and fill them), but sessions, SQL and hashing stay behind these Protocols. Services never return
those records to their callers: they build `services.views` inside the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol, Self

from comptoir.domain.errors import Conflict
from comptoir.records.payments import LedgerEntry, OrderReview, OutboxMessage, PaymentAttempt
from comptoir.records.refunds import RefundRequest
from comptoir.records.shop import Order, OrderHistory, Product, Shop, StockAdjustment, User

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware in UTC. Services take `now` from one of these."""


def system_clock() -> datetime:
    return datetime.now(UTC)


class PasswordHasher(Protocol):
    """Implemented with argon2id in `adapters/security.py`; tests may use a fast fake."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class AttemptLimit:
    """At most `attempts` counted attempts per key in any `window_seconds` (a moving window).

    `name` keeps the counters of different limits apart (the same key may be counted by several).
    """

    name: str
    attempts: int
    window_seconds: int


class AttemptCounter(Protocol):
    """Counts attempts per key under an AttemptLimit; `adapters/rate_limits.py` keeps the counts
    in memory or in a shared store (Redis) so that several instances count together."""

    def seconds_until_allowed(self, limit: AttemptLimit, key: str) -> int:
        """0 if one more attempt fits the limit now, else the whole seconds (at least 1) until one does."""
        ...

    def count(self, limit: AttemptLimit, key: str) -> None: ...

    def forget(self, limit: AttemptLimit, key: str) -> None:
        """Drop every attempt counted for `key` under `limit`."""
        ...


class UserRepository(Protocol):
    def get(self, user_id: int) -> User | None: ...

    def get_by_email(self, email: str) -> User | None:
        """Case-insensitive: emails are stored lower-cased."""
        ...

    def add(self, user: User) -> User:
        """Lower-cases the email and flushes, so `user.id` is set on return."""
        ...

    def shop_ids(self, user_id: int) -> frozenset[int]:
        """The shops a merchant is bound to (empty for customers)."""
        ...


class ShopRepository(Protocol):
    def get(self, shop_id: int) -> Shop | None: ...

    def get_by_slug(self, slug: str) -> Shop | None: ...

    def list(self) -> list[Shop]: ...

    def add(self, shop: Shop) -> Shop:
        """Flushes, so `shop.id` is set on return."""
        ...

    def add_merchant(self, shop_id: int, user_id: int) -> bool:
        """Binds a merchant to a shop; False (and nothing written) if already bound."""
        ...


class ProductRepository(Protocol):
    def get(self, product_id: int) -> Product | None: ...

    def get_many(self, product_ids: Iterable[int]) -> dict[int, Product]: ...

    def list_for_shop(self, shop_id: int, *, include_inactive: bool = False) -> list[Product]: ...

    def get_by_name(self, shop_id: int, name: str) -> Product | None: ...

    def add(self, product: Product) -> Product:
        """Flushes, so `product.id` is set on return."""
        ...

    def take_stock(self, product_id: int, quantity_milli: int) -> bool:
        """One conditional UPDATE: decrement only if the product is active and has enough.

        Returns whether it did. Concurrent callers for the last units each get a definite
        answer from the database; stock never goes negative.
        """
        ...

    def return_stock(self, product_id: int, quantity_milli: int) -> None: ...

    def adjust_stock(self, product_id: int, delta_milli: int) -> int | None:
        """One conditional UPDATE: add `delta_milli` (negative to remove) unless the stock would go
        below zero. Returns the stock after it, or None when it did nothing."""
        ...

    def add_adjustment(self, adjustment: StockAdjustment) -> StockAdjustment: ...

    def adjustments(self, product_id: int, *, limit: int) -> list[StockAdjustment]:
        """The product's latest stock adjustments, newest first."""
        ...


class ImageStore(Protocol):
    """Where uploaded product images are kept (the data folder): bytes in, a file name out."""

    def save(self, data: bytes, extension: str) -> str:
        """Stores the bytes under a new, unguessable name ending in `.extension`; returns the name."""
        ...

    def delete(self, name: str) -> None:
        """Removes a stored image; a name that is not there is not an error."""
        ...


@dataclass(frozen=True, slots=True)
class LineSummary:
    name: str
    unit: str
    quantity_milli: int
    line_total: int


@dataclass(frozen=True, slots=True)
class HistoryChange:
    """One change of an order axis ("status", "payment_status", "total"): who, when, from, to and why."""

    axis: str
    from_value: str | None
    to_value: str
    actor: str  # e.g. "customer:12", "merchant:3", "system:webhook"
    at: datetime
    reason: str = ""


class OrderRepository(Protocol):
    def get(self, order_id: str) -> Order | None: ...

    def get_for_update(self, order_id: str) -> Order | None:
        """The order, row-locked until the transaction ends.

        Every status change loads its order this way so two concurrent changes serialise. The
        first call for an order in a transaction writes the transaction's pending changes, then
        reads the locked row (over any copy loaded earlier without the lock); later calls in the
        same transaction return that same object, with whatever this transaction changed on it.
        """
        ...

    def get_many_for_update(self, order_ids: Iterable[str]) -> dict[str, Order]:
        """`get_for_update` for several orders at once (one statement, locks taken in id order), by
        id; ids of no order are left out. A group of webhook events locks its orders this way
        first, so that each event's own `get_for_update` finds its order locked and flushes nothing."""
        ...

    def add(self, order: Order) -> Order:
        """Flushes. An order with an idempotency key that another transaction already placed for the
        same customer raises Conflict `order_key_taken` (the caller then reads that order)."""
        ...

    def by_idempotency_key(self, customer_id: int, key: str) -> Order | None:
        """The customer's order placed under this `Idempotency-Key`, if any."""
        ...

    def line_summaries(self, order: Order) -> list[LineSummary]:
        """The order's lines as messages print them, as this transaction sees them (a line changed
        in memory, as weighing does, with its change), read without flushing the session."""
        ...

    def number_exists(self, number: str) -> bool: ...

    def list_for_customer(self, customer_id: int, *, limit: int, before: str | None = None) -> list[Order]:
        """Newest first; `before` is the id of the last order of the previous page."""
        ...

    def expired_hold_ids(self, now: datetime, *, limit: int) -> list[str]:
        """Pending, unpaid (or failed) orders whose hold expired at or before `now` and still hold stock."""
        ...

    def mark_stock_released(self, order_id: str, at: datetime) -> bool:
        """Sets `stock_released_at` only where it is NULL; True if this call did it."""
        ...

    def add_history(self, order: Order, change: HistoryChange) -> None:
        """Append one history row to a stored order, now, without reading its earlier rows; the
        order's `history`, if it was read, is read again on next use."""
        ...


# The payment side: attempts, ledger, reviews, received events, outbox.
# Every write that must happen once checks first under the order's row lock (`uow.orders.get_for_update`)
# and is backed by a unique constraint, so a racing duplicate either waits and sees the row, or fails its
# whole transaction (and its webhook delivery is retried) without a partial effect.


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

    def add_entry_then_ledger(self, order_id: str, entry: LedgerRow) -> list[LedgerRow] | None:
        """`add_entry_if_new`, then, if it recorded the entry, the order's whole ledger (with it): what
        a new payment needs to tell a second payment and to derive the payment status, in one call."""
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
    """Received webhook events, one method per thing done to an event's row."""

    def add_if_new(
        self, event_id: str, event_type: str, payload: Mapping[str, Any], *, status: str, at: datetime
    ) -> bool:
        """Record a new event, already `status` and received and processed `at`, unless one with its
        id exists, in one statement (a concurrent insert of the same id is waited for, never an error).
        True if this call inserted it."""
        ...

    def status(self, event_id: str) -> str | None:
        """The recorded event's status, or None: what a duplicate delivery needs, without its payload."""
        ...

    def claim(self, event_id: str, event_type: str, payload: Mapping[str, Any], *, at: datetime) -> None:
        """Lock a recorded event's row for a re-run (a failed event delivered again, a replay), or
        record it `received` if it is missing; raises AlreadyRecorded if a concurrent transaction
        recorded it meanwhile."""
        ...

    def mark_processed(self, event_id: str, *, status: str, at: datetime) -> None:
        """A claimed event ran: its final status (processed | ignored), one more attempt, no error."""
        ...

    def mark_failed(
        self, event_id: str, event_type: str, payload: Mapping[str, Any], *, error: str, at: datetime
    ) -> None:
        """An event's run failed and was rolled back: record it `failed` with the error (one more
        attempt), unless another delivery has processed it meanwhile."""
        ...

    def payload(self, event_id: str) -> dict[str, Any] | None:
        """The recorded event as Stripe sent it, or None."""
        ...

    def failed_ids(self, *, limit: int) -> list[str]:
        """Ids of the events whose last run failed, oldest first."""
        ...


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
        """Who a message about an order goes to, in which language, and the shop's name to sign it
        with and its time zone, in one query."""
        ...

    @property
    def default_language(self) -> str:
        """The language of messages to people who chose none (`COMPTOIR_DEFAULT_LANGUAGE`)."""
        ...


@dataclass(frozen=True, slots=True)
class OrderContacts:
    """Who hears about an order: its shop's name, the customer's address (None if unknown), and the
    addresses of the shop's merchants (where its alerts go); each address's own language (the
    user's `locale`, None when they chose none), and the shop's time zone (its messages' times)."""

    shop_name: str
    customer: str | None
    merchants: Sequence[str]
    languages: Mapping[str, str | None] = field(default_factory=dict)
    time_zone: str = "UTC"


# The merchant side, beyond the payment side's repositories.


@dataclass(frozen=True, slots=True)
class OrderSearch:
    """What the merchant's order list filters on; None leaves a filter out. Times are UTC bounds
    (`created_from` included, `created_to` excluded); `text` matches part of the order's number or
    of the customer's name or e-mail, case-insensitively."""

    status: str | None = None
    payment_status: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    pickup: bool | None = None  # True: pickup orders only; False: delivery orders only
    text: str | None = None


class MerchantRepository(Protocol):
    def list_orders(
        self, shop_ids: Collection[int] | None, *, status: str | None, limit: int, before: str | None
    ) -> list[Order]:
        """Orders of these shops (None: every shop), newest first; `before` is the last id of the previous page."""
        ...

    def search_orders(
        self, shop_ids: Collection[int] | None, search: OrderSearch, *, offset: int, limit: int
    ) -> tuple[list[tuple[Order, User]], int]:
        """One page of these shops' orders matching `search` (newest first) with their customers, and
        how many match in all."""
        ...

    def ledger_between(
        self, shop_ids: Collection[int] | None, start: datetime, end: datetime, *, limit: int
    ) -> list[tuple[LedgerEntry, Order]]:
        """Money that moved for these shops' orders from `start` (included) to `end`, oldest first."""
        ...

    def open_authorisations(
        self, shop_ids: Collection[int] | None, *, limit: int
    ) -> list[tuple[PaymentAttempt, Order]]:
        """Card authorisations of these shops' orders still waiting for capture, oldest first."""
        ...

    def history_ids_after(self, shop_ids: Collection[int] | None, after_id: int, *, limit: int) -> list[int]:
        """Ids of the history rows of these shops' orders (None: every shop) above `after_id`, ascending:
        an index read, so a poll that finds nothing new loads no row."""
        ...

    def history_rows(self, ids: Collection[int]) -> list[tuple[OrderHistory, Order]]:
        """These history rows with their orders, oldest first."""
        ...

    def last_history_id(self) -> int: ...

    def refund_requests(self, order_id: str) -> list[RefundRequest]:
        """Oldest first."""
        ...

    def refund_request(self, idempotency_key: str) -> RefundRequest | None: ...

    def add_refund_request(self, request: RefundRequest) -> RefundRequest: ...


class UnitOfWork(Protocol):
    """One transaction. Use as `with uow: ...; uow.commit()`; leaving without commit rolls back."""

    # Read-only to the services, so an adapter may hold its own repository classes (a mutable Protocol
    # attribute would have to be exactly the Protocol type).
    @property
    def users(self) -> UserRepository: ...

    @property
    def shops(self) -> ShopRepository: ...

    @property
    def products(self) -> ProductRepository: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def payments(self) -> PaymentRepository: ...

    @property
    def events(self) -> EventRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def merchant(self) -> MerchantRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
