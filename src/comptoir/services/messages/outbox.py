"""Sending what the outbox holds, at least once, without holding a database lock while sending.

A batch is claimed by pushing its `next_attempt_at` a lease into the future (one short
transaction), sent outside any transaction, then marked sent or rescheduled with backoff. A
worker that dies mid-batch leaves its messages to be claimed again when the lease runs out,
so a message can, rarely, go out twice; it is never lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from comptoir.services.messages.notifications import Mailer
from comptoir.services.ports import UnitOfWork

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at one hour."""
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), timedelta(hours=1))


@dataclass(frozen=True, slots=True)
class DispatchReport:
    sent: int
    failed: int


def dispatch_due(uow: UnitOfWork, mailer: Mailer, *, now: datetime, limit: int = 50) -> DispatchReport:
    with uow:
        batch = uow.outbox.claim_due(now, limit=limit, max_attempts=MAX_ATTEMPTS)
        for message in batch:
            message.next_attempt_at = now + LEASE
        claimed = [(m.id, m.recipient, m.subject, m.body) for m in batch]
        uow.commit()

    outcomes: dict[int, str | None] = {}
    for message_id, recipient, subject, body in claimed:
        try:
            mailer.send(to=recipient, subject=subject, body=body)
            outcomes[message_id] = None
        except Exception as exc:  # any failure of the mail server is retried later
            log.warning("sending outbox message %s failed: %s", message_id, exc)
            outcomes[message_id] = f"{type(exc).__name__}: {exc}"[:2000]

    if outcomes:
        with uow:
            for message in uow.outbox.get_many(list(outcomes)):
                error = outcomes[message.id]
                if error is None:
                    message.sent_at = now
                    message.last_error = None
                else:
                    message.attempts += 1
                    message.last_error = error
                    message.next_attempt_at = now + backoff(message.attempts)
            uow.commit()
    failed = sum(1 for error in outcomes.values() if error is not None)
    return DispatchReport(sent=len(outcomes) - failed, failed=failed)
