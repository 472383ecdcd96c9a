"""The shop's tables: users, shops and their merchants, products, orders, their lines and history.

Amounts are integer minor units; quantities and stock are integer thousandths (`*_milli`),
so a kg of beef and a pair of wheels are both exact on both databases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comptoir.records.base import Base, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(32))
    """Shown on the counter's order cards, so the shop can call about an order (optional)."""
    locale: Mapped[str | None] = mapped_column(String(8))
    """The language of the user's pages and e-mails ("fr", "en"); None: the shop's or the browser's."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    shops: Mapped[list[Shop]] = relationship(secondary="shop_merchants", back_populates="merchants")

    __table_args__ = (CheckConstraint("role in ('customer', 'merchant', 'admin')", name="ck_users_role"),)


class Shop(Base):
    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    accepts_online: Mapped[bool] = mapped_column(Boolean, default=True)
    accepts_on_pickup: Mapped[bool] = mapped_column(Boolean, default=False)
    offers_delivery: Mapped[bool] = mapped_column(Boolean, default=True)
    offers_pickup: Mapped[bool] = mapped_column(Boolean, default=False)
    # Weighed goods: online payments only authorise total + margin; the merchant captures the
    # weighed amount when the order is ready (services.payments.capture).
    capture_manually: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    capture_margin_percent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Shop set-up (domain.shop_settings holds the bounds): the time zone of its pages and of "today".
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Paris", server_default="Europe/Paris")
    address: Mapped[str] = mapped_column(Text, default="", server_default="")
    opening_hours: Mapped[str] = mapped_column(Text, default="", server_default="")
    pickup_slot_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    pickup_slot_capacity: Mapped[int] = mapped_column(Integer, default=4, server_default="4")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    merchants: Mapped[list[User]] = relationship(secondary="shop_merchants", back_populates="shops")


class ShopMerchant(Base):
    __tablename__ = "shop_merchants"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(8))
    unit_price: Mapped[int] = mapped_column(BigInteger)
    stock_milli: Mapped[int] = mapped_column(BigInteger, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    image_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("stock_milli >= 0", name="ck_products_stock_non_negative"),
        CheckConstraint("unit_price >= 0", name="ck_products_price_non_negative"),
        CheckConstraint("unit in ('piece', 'kg')", name="ck_products_unit"),
    )


class StockAdjustment(Base):
    """Append-only: a merchant's change of a product's stock (a delivery, breakage, a count), with why."""

    __tablename__ = "stock_adjustments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    delta_milli: Mapped[int] = mapped_column(BigInteger)
    stock_after_milli: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint("delta_milli <> 0", name="ck_stock_adjustments_delta_not_zero"),)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    payment_status: Mapped[str] = mapped_column(String(24))
    payment_method: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[int] = mapped_column(BigInteger)
    delivery_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    pickup: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    hold_expires_at: Mapped[datetime | None]
    stock_released_at: Mapped[datetime | None]
    pickup_code: Mapped[str | None] = mapped_column(String(8))
    """Pickup orders: the digits the customer gives at the counter (`domain.pickup_code`)."""
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    """The customer's `Idempotency-Key` for placing this order: unique per customer, so a retry finds it."""
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    """What was asked under that key (a hash): the same key with another request is refused."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.position", cascade="all, delete-orphan"
    )
    history: Mapped[list[OrderHistory]] = relationship(
        back_populates="order", order_by="OrderHistory.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("total >= 0", name="ck_orders_total_non_negative"),
        Index("ix_orders_customer_created", "customer_id", "created_at"),
        Index("uq_orders_customer_idempotency_key", "customer_id", "idempotency_key", unique=True),
    )


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(8))
    quantity_milli: Mapped[int] = mapped_column(BigInteger)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    line_total: Mapped[int] = mapped_column(BigInteger)

    order: Mapped[Order] = relationship(back_populates="lines")

    __table_args__ = (
        UniqueConstraint("order_id", "position", name="uq_order_lines_position"),
        CheckConstraint("quantity_milli > 0", name="ck_order_lines_quantity_positive"),
    )


class OrderHistory(Base):
    """Append-only: every change of either status axis, with who, when, from, to and why."""

    __tablename__ = "order_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    axis: Mapped[str] = mapped_column(String(16))
    from_value: Mapped[str | None] = mapped_column(String(24))
    to_value: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="history")
