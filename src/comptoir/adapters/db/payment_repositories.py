"""SQLAlchemy repositories for the payment side (see `services.ports`)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comptoir.domain.payments import AttemptState
from comptoir.records.payments import LedgerEntry, OrderReview, OutboxMessage, PaymentAttempt, ReceivedEvent
from comptoir.records.shop import Shop, ShopMerchant, User
from comptoir.services.ports import AlreadyRecorded, LedgerRow, NewMessage, OrderContacts
from comptoir.wording import DEFAULT_MESSAGE_LANGUAGE

_UNSETTLED_ATTEMPTS = (AttemptState.CREATING, AttemptState.OPEN, AttemptState.PROCESSING)
_ATTEMPTS_OF_ORDER = (
    select(PaymentAttempt)
    .where(PaymentAttempt.order_id == bindparam("order_id"))
    .order_by(PaymentAttempt.number)
    .execution_options(autoflush=False)
)


def insert_unless_present(
    session: Session, table: Table, conflict_columns: tuple[str, ...], values: dict[str, Any] | list[dict[str, Any]]
) -> int:
    """`INSERT … ON CONFLICT (…) DO NOTHING` of one row or several (one statement: SQLAlchemy
    renders a list as one multi-row INSERT); how many rows this call wrote.

    The check and the insert are one statement: a row already there (committed, or inserted
    earlier in this transaction) makes it a no-op, and on PostgreSQL a concurrent uncommitted
    insert of the same key is waited for rather than failing — so no failed statement ever
    aborts the caller's transaction. Core, not the ORM: nothing is added to the session.
    """
    connection = session.connection()
    stmt = _insert_statement(connection.dialect.name, table, conflict_columns)
    # On the connection, not `session.execute`: these tables are never written through the ORM,
    # so the insert need not flush the session's pending changes first (they go at commit, in
    # one flush); the rows it may reference are already in the database, since every repository
    # `add` flushes. RETURNING, not rowcount: psycopg reports -1 for these statements.
    return len(connection.execute(stmt, values).all())


@functools.cache
def _insert_statement(dialect: str, table: Table, conflict_columns: tuple[str, ...]) -> Any:
    """Built once per table (values are bound at execution), so SQLAlchemy's compiled cache is hit
    without rebuilding and hashing a statement per call."""
    inserts: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert]] = {
        "postgresql": postgresql.insert,
        "sqlite": sqlite.insert,
    }
    insert = inserts[dialect]
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(table.c[conflict_columns[0]])
    )


class SqlPaymentRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def attempts(self, order_id: str) -> list[PaymentAttempt]:
        # No flush first: an attempt's order never changes and new attempts are flushed as they are
        # added, so nothing pending changes which rows match; rows already held come back as held.
        return list(self._session.scalars(_ATTEMPTS_OF_ORDER, {"order_id": order_id}))

    def attempt_by_provider_id(self, provider_id: str) -> PaymentAttempt | None:
        return self._session.scalars(
            select(PaymentAttempt).where(PaymentAttempt.provider_id == provider_id)
        ).one_or_none()

    def add_attempt(self, attempt: PaymentAttempt) -> PaymentAttempt:
        self._session.add(attempt)
        self._session.flush()
        return attempt

    def attempts_to_watch(self, kind: str, *, created_after: datetime, limit: int) -> list[PaymentAttempt]:
        unsettled = (PaymentAttempt.kind == kind, PaymentAttempt.state.in_(_UNSETTLED_ATTEMPTS))
        return self._recent_attempts(*unsettled, created_after=created_after, limit=limit)

    def authorised_attempts(self, *, created_after: datetime, limit: int) -> list[PaymentAttempt]:
        return self._recent_attempts(
            PaymentAttempt.state == AttemptState.AUTHORIZED, created_after=created_after, limit=limit
        )

    def _recent_attempts(self, *where: Any, created_after: datetime, limit: int) -> list[PaymentAttempt]:
        stmt = (
            select(PaymentAttempt)
            .where(*where, PaymentAttempt.created_at > created_after)
            .order_by(PaymentAttempt.id)
            .limit(limit)
        )
        return list(self._session.scalars(stmt))

    def ledger(self, order_id: str) -> list[LedgerRow]:
        # Core on the connection, no flush first: ledger rows are only ever inserted by
        # `add_entry_if_new`, straight on the connection, so nothing pending in the session can
        # change this answer, and read-only rows need none of the ORM's tracking.
        rows = self._session.connection().execute(_LEDGER_OF_ORDER, {"order_id": order_id})
        return [LedgerRow(*row) for row in rows]

    def entry(self, kind: str, external_id: str) -> LedgerEntry | None:
        stmt = select(LedgerEntry).where(LedgerEntry.kind == kind, LedgerEntry.external_id == external_id)
        return self._session.scalars(stmt).one_or_none()

    def add_entry_if_new(self, order_id: str, entry: LedgerRow) -> bool:
        values = {field: getattr(entry, field) for field in LedgerRow.__slots__} | {"order_id": order_id}
        return insert_unless_present(self._session, _LEDGER, ("kind", "external_id"), values) == 1

    def add_entry_then_ledger(self, order_id: str, entry: LedgerRow) -> list[LedgerRow] | None:
        return self.ledger(order_id) if self.add_entry_if_new(order_id, entry) else None

    def order_id_for_payment(self, external_id: str) -> str | None:
        stmt = select(LedgerEntry.order_id).where(LedgerEntry.kind == "payment", LedgerEntry.external_id == external_id)
        return self._session.scalars(stmt).first()

    def review(self, code: str, reference: str) -> OrderReview | None:
        stmt = select(OrderReview).where(OrderReview.code == code, OrderReview.reference == reference)
        return self._session.scalars(stmt).one_or_none()

    def add_review(self, review: OrderReview) -> OrderReview:
        self._session.add(review)
        self._session.flush()
        return review

    def open_reviews(self, order_id: str) -> list[OrderReview]:
        stmt = (
            select(OrderReview)
            .where(OrderReview.order_id == order_id, OrderReview.resolved_at.is_(None))
            .order_by(OrderReview.id)
        )
        return list(self._session.scalars(stmt))

    def open_reviews_with_code(self, code: str, *, order_id: str | None = None, limit: int = 100) -> list[OrderReview]:
        stmt = select(OrderReview).where(OrderReview.code == code, OrderReview.resolved_at.is_(None))
        if order_id is not None:
            stmt = stmt.where(OrderReview.order_id == order_id)
        return list(self._session.scalars(stmt.order_by(OrderReview.id).limit(limit)))


class SqlEventRepository:
    """The received-events table, one method per thing done to a row; all Core on the session's
    connection, so event rows never enter the session and are never flushed with an order.

    The fast path is `add_if_new`: a new event's row goes in already in its final state, in one
    statement. The others serve the slow paths: a copy of a recorded event (`status`), a re-run
    of a failed or replayed event (`claim`, then `mark_processed`), and a failure recorded after
    the rollback (`mark_failed`)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add_if_new(
        self, event_id: str, event_type: str, payload: Mapping[str, Any], *, status: str, at: datetime
    ) -> bool:
        values = _event_row(event_id, event_type, payload, status=status, attempts=1, at=at) | {"processed_at": at}
        return insert_unless_present(self._session, _EVENTS, ("id",), values) == 1

    def status(self, event_id: str) -> str | None:
        return self._session.connection().execute(_EVENT_STATUS, {"event_id": event_id}).scalar()

    def claim(self, event_id: str, event_type: str, payload: Mapping[str, Any], *, at: datetime) -> None:
        connection = self._session.connection()
        if connection.execute(_EVENT_FOR_UPDATE, {"event_id": event_id}).first() is not None:
            return
        try:
            connection.execute(
                insert(_EVENTS), _event_row(event_id, event_type, payload, status="received", attempts=0, at=at)
            )
        except IntegrityError as exc:
            raise AlreadyRecorded(f"event {event_id} was recorded concurrently") from exc

    def mark_processed(self, event_id: str, *, status: str, at: datetime) -> None:
        self._session.connection().execute(
            update(_EVENTS)
            .where(_EVENTS.c.id == event_id)
            .values(status=status, attempts=_EVENTS.c.attempts + 1, processed_at=at, last_error=None)
        )

    def mark_failed(
        self, event_id: str, event_type: str, payload: Mapping[str, Any], *, error: str, at: datetime
    ) -> None:
        # The UPDATE locks the row it changes; an insert racing the same id is waited for (PostgreSQL)
        # and then changes nothing, as does a row another copy has meanwhile processed.
        changed = self._session.connection().execute(
            update(_EVENTS)
            .where(_EVENTS.c.id == event_id, _EVENTS.c.status.in_(("failed", "received")))
            .values(status="failed", attempts=_EVENTS.c.attempts + 1, last_error=error)
        )
        if changed.rowcount != 1:
            values = _event_row(event_id, event_type, payload, status="failed", attempts=1, at=at)
            insert_unless_present(self._session, _EVENTS, ("id",), values | {"last_error": error})

    def payload(self, event_id: str) -> dict[str, Any] | None:
        found = self._session.connection().execute(_EVENT_PAYLOAD, {"event_id": event_id}).scalar()
        return None if found is None else dict(found)

    def failed_ids(self, *, limit: int) -> list[str]:
        stmt = (
            select(ReceivedEvent.id)
            .where(ReceivedEvent.status == "failed")
            .order_by(ReceivedEvent.received_at, ReceivedEvent.id)
            .limit(limit)
        )
        return list(self._session.connection().execute(stmt).scalars())


def _event_row(
    event_id: str, event_type: str, payload: Mapping[str, Any], *, status: str, attempts: int, at: datetime
) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": event_type,
        "payload": dict(payload),
        "status": status,
        "attempts": attempts,
        "last_error": None,
        "received_at": at,
        "processed_at": None,
    }


class SqlOutboxRepository:
    def __init__(self, session: Session, default_language: str = DEFAULT_MESSAGE_LANGUAGE) -> None:
        self._session = session
        self._default_language = default_language

    @property
    def default_language(self) -> str:
        return self._default_language

    def add_if_new(self, messages: Sequence[NewMessage], *, at: datetime) -> int:
        rows = [
            {
                "dedupe_key": m.dedupe_key,
                "topic": m.topic,
                "recipient": m.recipient,
                "subject": m.subject,
                "body": m.body,
                "order_id": m.order_id,
                "created_at": at,
                "next_attempt_at": at,
                "attempts": 0,
            }
            for m in messages
        ]
        return insert_unless_present(self._session, _OUTBOX, ("dedupe_key",), rows) if rows else 0

    def claim_due(self, now: datetime, *, limit: int, max_attempts: int) -> list[OutboxMessage]:
        stmt = (
            select(OutboxMessage)
            .where(
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.next_attempt_at <= now,
                OutboxMessage.attempts < max_attempts,
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self._session.scalars(stmt))

    def get_many(self, message_ids: list[int]) -> list[OutboxMessage]:
        return list(self._session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(message_ids))))

    def for_order(self, order_id: str) -> list[OutboxMessage]:
        stmt = select(OutboxMessage).where(OutboxMessage.order_id == order_id).order_by(OutboxMessage.id)
        return list(self._session.scalars(stmt))

    def order_contacts(self, customer_id: int, shop_id: int) -> OrderContacts:
        # On the session's connection, not `session.execute`: it reads users and shops, which no
        # order flow changes, so it need not flush the order's pending changes first.
        rows = self._session.connection().execute(_contacts_statement(), {"customer": customer_id, "shop": shop_id})
        shop_name = ""
        time_zone = "UTC"
        customer: str | None = None
        merchants: list[str] = []
        languages: dict[str, str | None] = {}
        for name, zone, user_id, email, role, locale, merchant_of in rows:
            shop_name, time_zone = name, zone
            if user_id == customer_id:
                customer = email
            if merchant_of is not None and role in {"merchant", "admin"}:
                merchants.append(email)
            if email is not None:
                languages[email] = locale
        return OrderContacts(shop_name, customer, merchants, languages, time_zone)


@functools.cache
def _contacts_statement() -> Any:
    shop: BindParameter[int] = bindparam("shop")
    return (
        select(Shop.name, Shop.time_zone, User.id, User.email, User.role, User.locale, ShopMerchant.shop_id)
        .select_from(Shop)
        .join(
            User,
            or_(
                User.id == bindparam("customer"),
                User.id.in_(select(ShopMerchant.user_id).where(ShopMerchant.shop_id == shop)),
            ),
            isouter=True,
        )
        .outerjoin(ShopMerchant, and_(ShopMerchant.user_id == User.id, ShopMerchant.shop_id == shop))
        .where(Shop.id == shop)
        .order_by(User.email)
    )


_EVENT_STATUS = select(ReceivedEvent.status).where(ReceivedEvent.id == bindparam("event_id"))
_EVENT_PAYLOAD = select(ReceivedEvent.payload).where(ReceivedEvent.id == bindparam("event_id"))
_EVENT_FOR_UPDATE = select(ReceivedEvent.id).where(ReceivedEvent.id == bindparam("event_id")).with_for_update()
_LEDGER_OF_ORDER = (
    select(
        LedgerEntry.kind,
        LedgerEntry.amount,
        LedgerEntry.currency,
        LedgerEntry.external_id,
        LedgerEntry.source,
        LedgerEntry.reason,
        LedgerEntry.recorded_at,
    )
    .where(LedgerEntry.order_id == bindparam("order_id"))
    .order_by(LedgerEntry.id)
)
_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
_EVENTS: Table = ReceivedEvent.__table__  # type: ignore[assignment]
_LEDGER: Table = LedgerEntry.__table__  # type: ignore[assignment]
