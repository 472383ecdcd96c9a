"""SQLAlchemy repository for the merchant side (see `services.ports.MerchantRepository`): a shop's orders,
the order-history rows its event stream reads, and the refund requests comptoir made."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from comptoir.records.refunds import RefundRequest
from comptoir.records.shop import Order, OrderHistory


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
