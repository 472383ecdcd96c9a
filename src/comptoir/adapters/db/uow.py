"""The SQLAlchemy unit of work: one session, one transaction, committed only when asked.

A commit that wrote order history calls the factory's history listeners after it (the merchant
feed's hub wakes its pollers with it, so a board hears of this process's orders at once).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from comptoir.adapters.db.merchant_repositories import SqlMerchantRepository
from comptoir.adapters.db.payment_repositories import SqlEventRepository, SqlOutboxRepository, SqlPaymentRepository
from comptoir.adapters.db.repositories import (
    HISTORY_WRITTEN,
    SqlOrderRepository,
    SqlProductRepository,
    SqlShopRepository,
    SqlUserRepository,
)
from comptoir.wording import DEFAULT_MESSAGE_LANGUAGE


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

    def __init__(
        self,
        sessions: sessionmaker[Session],
        history_listeners: Sequence[Callable[[], None]] = (),
        *,
        default_language: str = DEFAULT_MESSAGE_LANGUAGE,
    ) -> None:
        self._sessions = sessions
        self._history_listeners = history_listeners
        self._default_language = default_language
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
        self.outbox = SqlOutboxRepository(session, self._default_language)
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
        session = self.session
        session.commit()
        if session.info.pop(HISTORY_WRITTEN, False):
            for listener in self._history_listeners:
                listener()

    def rollback(self) -> None:
        self.session.rollback()
        self.session.info.pop(HISTORY_WRITTEN, None)


def sql_unit_of_work_factory(
    engine: Engine, *, default_language: str = DEFAULT_MESSAGE_LANGUAGE
) -> SqlUnitOfWorkFactory:
    """Units of work on `engine`; `default_language` is the e-mails' language for people who chose none."""
    return SqlUnitOfWorkFactory(session_factory(engine), default_language=default_language)


class SqlUnitOfWorkFactory:
    """A `UnitOfWorkFactory`: call it for a new unit of work (one per request or job)."""

    def __init__(self, sessions: sessionmaker[Session], *, default_language: str = DEFAULT_MESSAGE_LANGUAGE) -> None:
        self._sessions = sessions
        self._history_listeners: list[Callable[[], None]] = []
        self._default_language = default_language

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions, self._history_listeners, default_language=self._default_language)

    def on_history_committed(self, listener: Callable[[], None]) -> None:
        """Call `listener()` after each commit, by this factory's units of work, that wrote order history.

        It runs in the committing thread, right after the commit: it must be quick and must not raise.
        """
        self._history_listeners.append(listener)
