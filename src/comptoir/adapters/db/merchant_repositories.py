"""SQLAlchemy repository for the merchant side (see `services.ports.MerchantRepository`): a shop's orders,
the order-history rows its event stream reads, and the refund requests comptoir made."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session, selectinload

from comptoir.domain.payments import AttemptState
from comptoir.records.payments import LedgerEntry, PaymentAttempt
from comptoir.records.refunds import RefundRequest
from comptoir.records.shop import Order, OrderHistory, User
from comptoir.services.ports import OrderSearch


class SqlMerchantRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def list_orders(
        self, shop_ids: Collection[int] | None, *, status: str | None, limit: int, before: str | None
    ) -> list[Order]:
        query = (
            select(Order)
            .options(selectinload(Order.lines), selectinload(Order.history))
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(limit)
        )
        if shop_ids is not None:
            query = query.where(Order.shop_id.in_(list(shop_ids)))
        if status is not None:
            query = query.where(Order.status == status)
        if before is not None:
            cursor = self._session.execute(select(Order.created_at, Order.id).where(Order.id == before)).one_or_none()
            if cursor is None:
                return []
            created_at, cursor_id = cursor
            query = query.where(
                or_(Order.created_at < created_at, and_(Order.created_at == created_at, Order.id < cursor_id))
            )
        return list(self._session.scalars(query))

    def search_orders(
        self, shop_ids: Collection[int] | None, search: OrderSearch, *, offset: int, limit: int
    ) -> tuple[list[tuple[Order, User]], int]:
        conditions = _search_conditions(shop_ids, search)
        total = self._session.scalar(
            select(func.count()).select_from(Order).join(User, User.id == Order.customer_id).where(*conditions)
        )
        query = (
            select(Order, User)
            .join(User, User.id == Order.customer_id)
            .where(*conditions)
            .options(selectinload(Order.lines))
            .order_by(Order.created_at.desc(), Order.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [(order, user) for order, user in self._session.execute(query)], int(total or 0)

    def ledger_between(
        self, shop_ids: Collection[int] | None, start: datetime, end: datetime, *, limit: int
    ) -> list[tuple[LedgerEntry, Order]]:
        query = (
            select(LedgerEntry, Order)
            .join(Order, Order.id == LedgerEntry.order_id)
            .where(LedgerEntry.recorded_at >= start, LedgerEntry.recorded_at < end)
            .order_by(LedgerEntry.recorded_at, LedgerEntry.id)
            .limit(limit)
        )
        if shop_ids is not None:
            query = query.where(Order.shop_id.in_(list(shop_ids)))
        return [(entry, order) for entry, order in self._session.execute(query)]

    def open_authorisations(
        self, shop_ids: Collection[int] | None, *, limit: int
    ) -> list[tuple[PaymentAttempt, Order]]:
        query = (
            select(PaymentAttempt, Order)
            .join(Order, Order.id == PaymentAttempt.order_id)
            .where(PaymentAttempt.state == AttemptState.AUTHORIZED.value, PaymentAttempt.provider_id.is_not(None))
            .order_by(PaymentAttempt.created_at, PaymentAttempt.id)
            .limit(limit)
        )
        if shop_ids is not None:
            query = query.where(Order.shop_id.in_(list(shop_ids)))
        return [(attempt, order) for attempt, order in self._session.execute(query)]

    def history_ids_after(self, shop_ids: Collection[int] | None, after_id: int, *, limit: int) -> list[int]:
        query = select(OrderHistory.id).where(OrderHistory.id > after_id).order_by(OrderHistory.id).limit(limit)
        if shop_ids is not None:
            query = query.join(Order, Order.id == OrderHistory.order_id).where(Order.shop_id.in_(list(shop_ids)))
        return list(self._session.scalars(query))

    def history_rows(self, ids: Collection[int]) -> list[tuple[OrderHistory, Order]]:
        query = (
            select(OrderHistory, Order)
            .join(Order, Order.id == OrderHistory.order_id)
            .where(OrderHistory.id.in_(list(ids)))
            .order_by(OrderHistory.id)
        )
        return [(history, order) for history, order in self._session.execute(query)]

    def last_history_id(self) -> int:
        return int(self._session.scalar(select(func.max(OrderHistory.id))) or 0)

    def refund_requests(self, order_id: str) -> list[RefundRequest]:
        stmt = select(RefundRequest).where(RefundRequest.order_id == order_id).order_by(RefundRequest.number)
        return list(self._session.scalars(stmt))

    def refund_request(self, idempotency_key: str) -> RefundRequest | None:
        stmt = select(RefundRequest).where(RefundRequest.idempotency_key == idempotency_key)
        return self._session.scalars(stmt).one_or_none()

    def add_refund_request(self, request: RefundRequest) -> RefundRequest:
        self._session.add(request)
        self._session.flush()
        return request


def _search_conditions(shop_ids: Collection[int] | None, search: OrderSearch) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if shop_ids is not None:
        conditions.append(Order.shop_id.in_(list(shop_ids)))
    if search.status is not None:
        conditions.append(Order.status == search.status)
    if search.payment_status is not None:
        conditions.append(Order.payment_status == search.payment_status)
    if search.created_from is not None:
        conditions.append(Order.created_at >= search.created_from)
    if search.created_to is not None:
        conditions.append(Order.created_at < search.created_to)
    if search.pickup is not None:
        # An order without pickup holds SQL NULL or JSON null, depending on how it was written.
        has_pickup = and_(Order.pickup.is_not(None), cast(Order.pickup, String) != "null")
        conditions.append(has_pickup if search.pickup else ~has_pickup)
    if search.text:
        text = search.text.lower()
        conditions.append(
            or_(
                func.lower(Order.number).contains(text, autoescape=True),
                func.lower(User.name).contains(text, autoescape=True),
                func.lower(User.email).contains(text, autoescape=True),
            )
        )
    return conditions
