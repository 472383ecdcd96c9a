"""The one account a sandbox plays: its id and creation time are remembered in the store, so a
restart (or a control-API reset) answers ``GET /v1/account`` with the same account — libraries
fetch it once per key and cache it."""

from __future__ import annotations

from typing import Any

from .ids import random_token
from .meta import meta_get, meta_set
from .objects.account import build_account

ACCOUNT_META = "account"


def account(sandbox: Any) -> dict[str, Any]:
    remembered = meta_get(sandbox, ACCOUNT_META)
    if remembered is None:
        remembered = f"acct_1{random_token(15)} {sandbox.clock.now()}"
        meta_set(sandbox, ACCOUNT_META, remembered)
    account_id, created = remembered.split(" ")
    return build_account(account_id, int(created), sandbox.config.business_name)
