"""The small Protocols services depend on; adapters implement them, app.py / cli.py wire them.

Repositories hand services the table records of `comptoir.records.shop` (services may read
and fill them), but sessions, SQL and hashing stay behind these Protocols. Services never return
those records to their callers: they build `services.views` inside the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol, Self

from comptoir.records.shop import Order, Product, Shop, User

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


@dataclass(frozen=True, slots=True)
class LineSummary:
    name: str
    unit: str
    quantity_milli: int
    line_total: int


class OrderRepository(Protocol):
    def get(self, order_id: str) -> Order | None: ...

    def get_for_update(self, order_id: str) -> Order | None:
        """The order, row-locked until the transaction ends (refreshed if already loaded).

        Every status change loads its order this way so two concurrent changes serialise.
        """
        ...

    def add(self, order: Order) -> Order: ...

    def line_summaries(self, order: Order) -> list[LineSummary]:
        """The order's lines as messages print them: from memory if they are loaded (and maybe just
        changed, as weighing does), else read without flushing the session (lines are otherwise
        never changed once the order is placed)."""
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


class UnitOfWork(Protocol):
    """One transaction. Use as `with uow: ...; uow.commit()`; leaving without commit rolls back."""

    users: UserRepository
    shops: ShopRepository
    products: ProductRepository
    orders: OrderRepository

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
