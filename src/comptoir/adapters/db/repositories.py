"""SQLAlchemy repositories behind the Protocols of `comptoir.services.ports`.

Each one wraps the unit of work's session; none of them commits. The two stock operations are
single conditional UPDATEs so that the database, not Python, decides who gets the last unit.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, bindparam, exists, insert, inspect, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.util import identity_key

from comptoir.domain.errors import Conflict
from comptoir.records.shop import Order, OrderHistory, OrderLine, Product, Shop, ShopMerchant, StockAdjustment, User
from comptoir.services.ports import HistoryChange, LineSummary

_CANCELLABLE_ON_EXPIRY = ("unpaid", "failed")
_LINE_SUMMARIES = (
    select(OrderLine.name, OrderLine.unit, OrderLine.quantity_milli, OrderLine.line_total)
    .where(OrderLine.order_id == bindparam("order_id"))
    .order_by(OrderLine.position)
)
# Built once: `Session.get` builds and hashes a new statement on every call (docs/benchmarks.md).
_ORDER_FOR_UPDATE = (
    select(Order).where(Order.id == bindparam("order_id")).with_for_update().execution_options(autoflush=False)
)
_ORDER_MAPPER = inspect(Order)
_HISTORY_INSERT = insert(OrderHistory)


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
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, order_id: str) -> Order | None:
        return self._session.get(Order, order_id)

    def get_for_update(self, order_id: str) -> Order | None:
        # FOR UPDATE on PostgreSQL; SQLite ignores it, its BEGIN IMMEDIATE already serialises writers.
        if _ORDER_MAPPER.identity_key_from_primary_key((order_id,)) in self._session.identity_map:
            # held already, maybe changed: flushed, then read again from its locked row
            return self._session.get(Order, order_id, with_for_update=True, populate_existing=True)
        # Not held by this session, so no pending change is in it, and nothing pending elsewhere
        # changes what this reads: no flush first. A group of webhook events (one transaction) then
        # flushes once, at commit, instead of once per event before loading the next order.
        return self._session.scalars(_ORDER_FOR_UPDATE, {"order_id": order_id}).one_or_none()

    def add(self, order: Order) -> Order:
        self._session.add(order)
        self._session.flush()
        return order

    def line_summaries(self, order: Order) -> builtins.list[LineSummary]:
        if "lines" not in inspect(order).unloaded:
            return [LineSummary(line.name, line.unit, line.quantity_milli, line.line_total) for line in order.lines]
        # Core on the connection: the ORM's lazy load would flush the session first and build
        # tracked objects, several times the cost of this read (docs/benchmarks.md).
        rows = self._session.connection().execute(_LINE_SUMMARIES, {"order_id": order.id})
        return [LineSummary(*row) for row in rows]

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
