"""Tables of the payment side: attempts, the append-only ledger, review flags, received
webhook events and the outbox of messages to send.

Uniqueness does the exactly-once work here: a ledger entry per provider object
(`kind, external_id`), an event row per Stripe event id, an attempt per idempotency key, an
outbox message per dedupe key. Whoever inserts second (a duplicate webhook, the success page
racing the webhook, a reconciler run) finds the row there and does nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.records.base import Base, utcnow


class PaymentAttempt(Base):
    """One try at taking payment for an order: a Checkout Session or a PaymentIntent."""

    __tablename__ = "payment_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # checkout_session | payment_intent
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    provider_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    url: Mapped[str | None] = mapped_column(Text)
    # creating | open | processing | authorized | succeeded | failed | expired | canceled
    state: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int | None] = mapped_column(BigInteger)  # what was asked of the provider (total + any margin)
    expires_at: Mapped[datetime | None]
    # What a Checkout Session's parameters are built from that is not fixed by the order, stored when
    # the attempt is reserved: a retry under its key (after a crash, from another process with another
    # public URL, after the shop changed its settings) must send the very same parameters.
    success_url: Mapped[str | None] = mapped_column(Text)
    cancel_url: Mapped[str | None] = mapped_column(Text)
    customer_email: Mapped[str | None] = mapped_column(String(254))
    capture_manually: Mapped[bool | None]
    display_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("order_id", "number", name="uq_payment_attempts_order_number"),)


class LedgerEntry(Base):
    """Append-only: money that moved for an order. Never updated, never deleted."""

    __tablename__ = "payment_ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # payment | refund | refund_reversal
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    external_id: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(32))  # webhook | success_page | reconciler | merchant | api
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("kind", "external_id", name="uq_payment_ledger_kind_external"),
        CheckConstraint("amount > 0", name="ck_payment_ledger_amount_positive"),
    )


class OrderReview(Base):
    """Something about an order a person must look at (an amount mismatch, money after cancellation)."""

    __tablename__ = "order_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("code", "reference", name="uq_order_reviews_code_reference"),)


class ReceivedEvent(Base):
    """Every verified webhook event, recorded in the same transaction as its effects."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(128), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)  # processed | ignored | failed
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """A side effect that leaves the process (an email), written with the change that caused it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    topic: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_outbox_due", "sent_at", "next_attempt_at"),)
