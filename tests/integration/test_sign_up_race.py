"""Two sign-ups for the same email at the same moment: one account, and a clean 409 for the other."""

from __future__ import annotations

import threading

from comptoir.adapters.db.uow import SqlUnitOfWorkFactory
from comptoir.domain.errors import Conflict
from comptoir.services import accounts
from tests.factories import FakeHasher


def test_racing_sign_ups_create_one_account_and_refuse_the_others(uows: SqlUnitOfWorkFactory) -> None:
    # given six people submitting the same email at once
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def sign_up() -> None:
        barrier.wait()
        try:
            accounts.register(uows(), FakeHasher(), "Same@Example.com", "motdepasse123", "")
            outcomes.append("created")
        except Conflict as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=sign_up) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then exactly one account exists and every other attempt is told the email is taken
    assert sorted(outcomes) == ["created"] + ["email_taken"] * 5
    with uows() as uow:
        assert uow.users.get_by_email("same@example.com") is not None
