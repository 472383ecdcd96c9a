"""Two sign-ups for the same email at the same moment: one account, and a clean 409 for the other."""

from __future__ import annotations

from comptoir.adapters.db.uow import SqlUnitOfWorkFactory
from comptoir.domain.errors import Conflict
from comptoir.services import accounts
from tests.factories import FakeHasher
from tests.support import race


def test_racing_sign_ups_create_one_account_and_refuse_the_others(uows: SqlUnitOfWorkFactory) -> None:
    # given six people submitting the same email at once
    def sign_up() -> str:
        accounts.register(uows(), FakeHasher(), "Same@Example.com", "motdepasse123", "")
        return "created"

    # when they race
    outcomes = race([sign_up] * 6)
    # then exactly one account exists and every other attempt is told the email is taken
    said = [o if isinstance(o, str) else o.code if isinstance(o, Conflict) else repr(o) for o in outcomes]
    assert sorted(said) == ["created"] + ["email_taken"] * 5
    with uows() as uow:
        assert uow.users.get_by_email("same@example.com") is not None
