"""What the merchant side needs from storage beyond the payment side's repositories."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from comptoir.records.refunds import RefundRequest
from comptoir.records.shop import Order, OrderHistory
from comptoir.services.payment_ports import PaymentUnitOfWork


class MerchantRepository(Protocol):
    def list_orders(
        self, shop_ids: Collection[int] | None, *, status: str | None, limit: int, before: str | None
    ) -> list[Order]:
        """Orders of these shops (None: every shop), newest first; `before` is the last id of the previous page."""
        ...

    def history_after(
        self, shop_ids: Collection[int] | None, after_id: int, *, limit: int
    ) -> list[tuple[OrderHistory, Order]]:
        """History rows of these shops' orders with an id above `after_id`, oldest first."""
        ...

    def last_history_id(self) -> int: ...

    def refund_requests(self, order_id: str) -> list[RefundRequest]:
        """Oldest first."""
        ...

    def refund_request(self, idempotency_key: str) -> RefundRequest | None: ...

    def add_refund_request(self, request: RefundRequest) -> RefundRequest: ...


class MerchantUnitOfWork(PaymentUnitOfWork, Protocol):
    merchant: MerchantRepository
