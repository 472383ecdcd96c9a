"""SQLAlchemy repositories behind the Protocols of `comptoir.services.ports`.

Each one wraps the unit of work's session; none of them commits. The two stock operations are
single conditional UPDATEs so that the database, not Python, decides who gets the last unit.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, bindparam, exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction, selectinload
from sqlalchemy.orm.util import identity_key

from comptoir.domain.errors import Conflict
from comptoir.records.shop import Order, OrderHistory, OrderLine, Product, Shop, ShopMerchant, StockAdjustment, User
from comptoir.services.ports import HistoryChange, LineSummary

_CANCELLABLE_ON_EXPIRY = ("unpaid", "failed")
_LINE_SUMMARIES = (
    select(OrderLine.id, OrderLine.name, OrderLine.unit, OrderLine.quantity_milli, OrderLine.line_total)
    .where(OrderLine.order_id == bindparam("order_id"))
    .order_by(OrderLine.position)
)
# Built once: `Session.get` builds and hashes a new statement on every call (docs/benchmarks.md).
# `populate_existing`: a copy of the order loaded earlier without the lock is read again from the
# locked row (the session's autoflush has written any change made to it first).
_ORDER_FOR_UPDATE = (
    select(Order).where(Order.id == bindparam("order_id")).with_for_update().execution_options(populate_existing=True)
)
# Ordered by id: two transactions locking overlapping groups take the locks in the same order.
_ORDERS_FOR_UPDATE = (
    select(Order)
    .where(Order.id.in_(bindparam("order_ids", expanding=True)))
    .order_by(Order.id)
    .with_for_update()
    .execution_options(populate_existing=True)
)
_HISTORY_INSERT = insert(OrderHistory)
HISTORY_WRITTEN = "comptoir_history_written"
"""Set in a session's `info` when it wrote order history: its unit of work tells the feed after the commit."""


def _expire_cached(session: Session, model: type[object], ident: object, *attributes: str) -> None:
    """Forget attributes a Core UPDATE just changed, so the next read in this session sees them."""
    cached = session.identity_map.get(identity_key(model, ident))
    if cached is not None:
        session.expire(cached, list(attributes))


class SqlUserRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, user_id: int) -> User | None:
        return self._session.get(User, user_id)

    def get_by_email(self, email: str) -> User | None:
        return self._session.scalars(select(User).where(User.email == email.strip().lower())).one_or_none()

    def add(self, user: User) -> User:
        """Flushes; two racing sign-ups for one email meet at the unique index, and the loser
        gets the same Conflict as if it had seen the row first."""
        user.email = user.email.strip().lower()
        self._session.add(user)
        try:
            self._session.flush()
        except IntegrityError as exc:
            raise Conflict(f"an account already exists for {user.email}", code="email_taken") from exc
        return user

    def shop_ids(self, user_id: int) -> frozenset[int]:
        rows = self._session.scalars(select(ShopMerchant.shop_id).where(ShopMerchant.user_id == user_id))
        return frozenset(rows)


class SqlShopRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, shop_id: int) -> Shop | None:
        return self._session.get(Shop, shop_id)

    def get_by_slug(self, slug: str) -> Shop | None:
        return self._session.scalars(select(Shop).where(Shop.slug == slug)).one_or_none()

    def list(self) -> builtins.list[Shop]:
        return builtins.list(self._session.scalars(select(Shop).order_by(Shop.name, Shop.id)))

    def add(self, shop: Shop) -> Shop:
        self._session.add(shop)
        self._session.flush()
        return shop

    def add_merchant(self, shop_id: int, user_id: int) -> bool:
        if self._session.get(ShopMerchant, (shop_id, user_id)) is not None:
            return False
        self._session.add(ShopMerchant(shop_id=shop_id, user_id=user_id))
        self._session.flush()
        return True


class SqlProductRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, product_id: int) -> Product | None:
        return self._session.get(Product, product_id)

    def get_many(self, product_ids: Iterable[int]) -> dict[int, Product]:
        ids = set(product_ids)
        if not ids:
            return {}
        return {p.id: p for p in self._session.scalars(select(Product).where(Product.id.in_(ids)))}

    def list_for_shop(self, shop_id: int, *, include_inactive: bool = False) -> list[Product]:
        query = select(Product).where(Product.shop_id == shop_id)
        if not include_inactive:
            query = query.where(Product.active.is_(True))
        return list(self._session.scalars(query.order_by(Product.name, Product.id)))

    def get_by_name(self, shop_id: int, name: str) -> Product | None:
        query = select(Product).where(Product.shop_id == shop_id, Product.name == name).order_by(Product.id).limit(1)
        return self._session.scalars(query).one_or_none()

    def add(self, product: Product) -> Product:
        self._session.add(product)
        self._session.flush()
        return product

    def take_stock(self, product_id: int, quantity_milli: int) -> bool:
        result = self._session.execute(
            update(Product)
            .where(Product.id == product_id, Product.active.is_(True), Product.stock_milli >= quantity_milli)
            .values(stock_milli=Product.stock_milli - quantity_milli)
            .execution_options(synchronize_session=False)
        )
        _expire_cached(self._session, Product, product_id, "stock_milli")
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def return_stock(self, product_id: int, quantity_milli: int) -> None:
        self._session.execute(
            update(Product)
            .where(Product.id == product_id)
            .values(stock_milli=Product.stock_milli + quantity_milli)
            .execution_options(synchronize_session=False)
        )
        _expire_cached(self._session, Product, product_id, "stock_milli")

    def adjust_stock(self, product_id: int, delta_milli: int) -> int | None:
        result = self._session.execute(
            update(Product)
            .where(Product.id == product_id, Product.stock_milli + delta_milli >= 0)
            .values(stock_milli=Product.stock_milli + delta_milli)
            .returning(Product.stock_milli)
            .execution_options(synchronize_session=False)
        )
        after = result.scalar_one_or_none()
        _expire_cached(self._session, Product, product_id, "stock_milli")
        return after

    def add_adjustment(self, adjustment: StockAdjustment) -> StockAdjustment:
        self._session.add(adjustment)
        self._session.flush()
        return adjustment

    def adjustments(self, product_id: int, *, limit: int) -> builtins.list[StockAdjustment]:
        query = (
            select(StockAdjustment)
            .where(StockAdjustment.product_id == product_id)
            .order_by(StockAdjustment.id.desc())
            .limit(limit)
        )
        return builtins.list(self._session.scalars(query))


class SqlOrderRepository:
    """Orders, their lines and history.

    Row locks are taken once per transaction. The first `get_for_update` (or `get_many_for_update`)
    of an order in a transaction flushes the session, locks the row and reads it, over any copy
    loaded earlier without the lock; every later call for that order in the same transaction
    returns that same object and runs no SQL: with the lock held, nobody but this transaction has
    changed the row, and this transaction's changes are on the object, flushed or not. The
    repository remembers which orders it locked in which transaction (`_locked`), so the answer
    depends on what this transaction locked, never on what the session happens to hold.

    That is what lets a group of webhook events (`webhooks.ingest_many`, one transaction) flush
    its orders once, at commit: the group locks all its orders first, in one statement, and each
    event's handler then finds its order locked, without a flush in between. No SAVEPOINT is used
    anywhere: rolling back to one would release locks this bookkeeping still counts.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._locked: dict[str, Order] = {}
        self._locked_in: SessionTransaction | None = None

    def get(self, order_id: str) -> Order | None:
        return self._session.get(Order, order_id)

    def get_for_update(self, order_id: str) -> Order | None:
        # FOR UPDATE on PostgreSQL; SQLite ignores it, its BEGIN IMMEDIATE already serialises writers.
        locked = self._locked_now()
        if order_id in locked:
            return locked[order_id]
        order = self._session.scalars(_ORDER_FOR_UPDATE, {"order_id": order_id}).one_or_none()
        return self._remember_locked([order] if order is not None else []).get(order_id)

    def get_many_for_update(self, order_ids: Iterable[str]) -> dict[str, Order]:
        order_ids = builtins.list(order_ids)
        locked = self._locked_now()
        wanted = sorted({order_id for order_id in order_ids if order_id not in locked})
        if wanted:
            self._remember_locked(self._session.scalars(_ORDERS_FOR_UPDATE, {"order_ids": wanted}))
        return {order_id: locked[order_id] for order_id in order_ids if order_id in locked}

    def _locked_now(self) -> dict[str, Order]:
        """The orders locked in the session's current transaction (none once it has ended)."""
        if self._locked and self._session.get_transaction() is not self._locked_in:
            self._locked.clear()
        return self._locked

    def _remember_locked(self, orders: Iterable[Order]) -> dict[str, Order]:
        self._locked_in = self._session.get_transaction()
        self._locked.update((order.id, order) for order in orders)
        return self._locked

    def add(self, order: Order) -> Order:
        self._session.add(order)
        try:
            self._session.flush()
        except IntegrityError as exc:
            if order.idempotency_key is None:
                raise
            raise Conflict("an order was already placed with this Idempotency-Key", code="order_key_taken") from exc
        return order

    def by_idempotency_key(self, customer_id: int, key: str) -> Order | None:
        stmt = select(Order).where(Order.customer_id == customer_id, Order.idempotency_key == key)
        return self._session.scalars(stmt).one_or_none()

    def line_summaries(self, order: Order) -> builtins.list[LineSummary]:
        """One SELECT of the order's stored lines, never a flush; a line this session holds is
        reported as held (weighing changes lines in memory), which is the answer an ORM query
        without autoflush gives, without building a tracked object per row.

        Core on the connection: the ORM's lazy load would flush the session first and build
        tracked objects, several times the cost of this read (docs/benchmarks.md). Lines are
        written when their order is added (`add` flushes) and only changed in place after."""
        held = self._session.identity_map
        summaries = []
        for line_id, name, unit, quantity_milli, line_total in self._session.connection().execute(
            _LINE_SUMMARIES, {"order_id": order.id}
        ):
            line = held.get(identity_key(OrderLine, line_id))
            if isinstance(line, OrderLine):
                summaries.append(LineSummary(line.name, line.unit, line.quantity_milli, line.line_total))
            else:
                summaries.append(LineSummary(name, unit, quantity_milli, line_total))
        return summaries

    def number_exists(self, number: str) -> bool:
        return bool(self._session.scalar(select(exists().where(Order.number == number))))

    def list_for_customer(self, customer_id: int, *, limit: int, before: str | None = None) -> list[Order]:
        query = (
            select(Order)
            .where(Order.customer_id == customer_id)
            .options(selectinload(Order.lines), selectinload(Order.history))
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(limit)
        )
        if before is not None:
            cursor = self._session.execute(
                select(Order.created_at, Order.id).where(Order.id == before, Order.customer_id == customer_id)
            ).one_or_none()
            if cursor is None:
                return []
            created_at, cursor_id = cursor
            query = query.where(
                or_(Order.created_at < created_at, and_(Order.created_at == created_at, Order.id < cursor_id))
            )
        return list(self._session.scalars(query))

    def expired_hold_ids(self, now: datetime, *, limit: int) -> list[str]:
        query = (
            select(Order.id)
            .where(
                Order.status == "pending",
                Order.payment_status.in_(_CANCELLABLE_ON_EXPIRY),
                Order.hold_expires_at.is_not(None),
                Order.hold_expires_at <= now,
                Order.stock_released_at.is_(None),
            )
            .order_by(Order.hold_expires_at, Order.id)
            .limit(limit)
        )
        return list(self._session.scalars(query))

    def mark_stock_released(self, order_id: str, at: datetime) -> bool:
        result = self._session.execute(
            update(Order)
            .where(Order.id == order_id, Order.stock_released_at.is_(None))
            .values(stock_released_at=at, updated_at=at)
            .execution_options(synchronize_session=False)
        )
        _expire_cached(self._session, Order, order_id, "stock_released_at", "updated_at")
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def add_history(self, order: Order, change: HistoryChange) -> None:
        """One INSERT on the session's connection: history is append-only, so appending through
        `order.history` would first SELECT (and flush before) every earlier row just to add one."""
        values = {
            "order_id": order.id,
            "axis": change.axis,
            "from_value": change.from_value,
            "to_value": change.to_value,
            "actor": change.actor,
            "at": change.at,
            "reason": change.reason,
        }
        self._session.connection().execute(_HISTORY_INSERT, values)
        self._session.expire(order, ["history"])
        self._session.info[HISTORY_WRITTEN] = True
