"""Refunds comptoir asked the provider for: one row per request, reserved before the Stripe call.

The row is written (state `creating`) under the order's row lock in the transaction that checks
what is refundable, so two merchants clicking "refund" at once cannot both spend the same money:
the second sees the first's reservation. Its idempotency key (`order:{id}:refund:{n}`, or
`order:{id}:refund:refuse`) is sent with the Stripe call made *after* that commit, and the answer is
stored in a second transaction (`created` with the provider's refund id, or `failed`). The money
itself is recorded in the ledger by `services.payments.refunds.sync_refunds`, like any refund.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.records.base import Base, utcnow


class RefundRequest(Base):
    __tablename__ = "refund_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))  # None: a counter (cash) refund
    provider_id: Mapped[str | None] = mapped_column(String(255), unique=True)  # the provider's refund id
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(Text, default="")
    lines: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # [{line_id, quantity_milli, amount}]
    state: Mapped[str] = mapped_column(String(16))  # creating | created | failed
    provider_status: Mapped[str | None] = mapped_column(String(24))  # pending | succeeded | failed | canceled
    actor: Mapped[str] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("order_id", "number", name="uq_refund_requests_order_number"),
        CheckConstraint("amount > 0", name="ck_refund_requests_amount_positive"),
    )
