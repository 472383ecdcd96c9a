"""Faults a test injects into the service to watch one piece of work fail alone."""

from __future__ import annotations

from typing import Any

import pytest

from comptoir.services import notifications


def fail_paid_order_mail_for(monkeypatch: pytest.MonkeyPatch, order_id: str) -> None:
    """Make queueing the paid-order messages raise for ``order_id`` only (as a missing mail template would)."""
    queue_paid_order = notifications.queue_paid_order

    def fails_for_one_order(uow: Any, order: Any, *, at: Any) -> None:
        if order.id == order_id:
            raise RuntimeError("mail template missing")
        queue_paid_order(uow, order, at=at)

    monkeypatch.setattr("comptoir.services.notifications.queue_paid_order", fails_for_one_order)
