"""The SQLAlchemy unit of work: one session, one transaction, committed only when asked."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from comptoir.adapters.db.merchant_repositories import SqlMerchantRepository
from comptoir.adapters.db.payment_repositories import SqlEventRepository, SqlOutboxRepository, SqlPaymentRepository
from comptoir.adapters.db.repositories import (
    SqlOrderRepository,
    SqlProductRepository,
    SqlShopRepository,
    SqlUserRepository,
)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (views are built from them)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


class SqlUnitOfWork:
    """`with uow: ...; uow.commit()`. Leaving the block without commit rolls everything back.

    A unit of work may be entered again after it exits; each entry opens a fresh session.
    """

    users: SqlUserRepository
    shops: SqlShopRepository
    products: SqlProductRepository
    orders: SqlOrderRepository
    payments: SqlPaymentRepository
    events: SqlEventRepository
    outbox: SqlOutboxRepository
    merchant: SqlMerchantRepository

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use it as `with uow:`")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open")
        session = self._sessions()
        self._session = session
        self.users = SqlUserRepository(session)
        self.shops = SqlShopRepository(session)
        self.products = SqlProductRepository(session)
        self.orders = SqlOrderRepository(session)
        self.payments = SqlPaymentRepository(session)
        self.events = SqlEventRepository(session)
        self.outbox = SqlOutboxRepository(session)
        self.merchant = SqlMerchantRepository(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            session.rollback()
        finally:
            session.close()
            self._session = None

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


def sql_unit_of_work_factory(engine: Engine) -> SqlUnitOfWorkFactory:
    return SqlUnitOfWorkFactory(session_factory(engine))


class SqlUnitOfWorkFactory:
    """A `UnitOfWorkFactory`: call it for a new unit of work (one per request or job)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions)
