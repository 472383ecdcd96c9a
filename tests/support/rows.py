"""Reading back what a test's actions left in the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from comptoir.adapters.db.uow import SqlUnitOfWorkFactory


def count(uows: SqlUnitOfWorkFactory, model: type, **where: Any) -> int:
    """How many rows of ``model`` match ``where`` (column=value filters)."""
    with uows() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model).filter_by(**where)) or 0)


def order_row(uows: SqlUnitOfWorkFactory, order_id: str, *columns: str) -> tuple[Any, ...]:
    """The order's ``columns`` as stored, ``status`` and ``payment_status`` unless others are named."""
    with uows() as uow:
        order = uow.orders.get(order_id)
        assert order is not None, f"no order {order_id}"
        return tuple(getattr(order, column) for column in columns or ("status", "payment_status"))
