"""The API keys the runner prints, remembered in the store so a restart prints the same ones.

A sandbox started without a fixed key accepts any well-formed test key; the remembered pair is
simply one that works and that a newcomer can paste. ``KEPT_ON_RESET`` lists the meta entries a
control-API reset must keep: keys, the account and the forwarding secret are configuration a running
receiver or shop depends on, not sandbox state. (The clock offset is kept by ``engine.reset``
itself.)
"""

from __future__ import annotations

from typing import Any

from .account import ACCOUNT_META
from .ids import random_token
from .meta import meta_get, meta_set
from .webhook_secrets import FORWARD_SECRET_KEY

SECRET_KEY_META = "keys.secret"
PUBLISHABLE_KEY_META = "keys.publishable"
KEPT_ON_RESET = (SECRET_KEY_META, PUBLISHABLE_KEY_META, FORWARD_SECRET_KEY, ACCOUNT_META)


def remembered_key(sandbox: Any, meta_key: str, prefix: str) -> str:
    value = meta_get(sandbox, meta_key)
    if value is None:
        value = f"{prefix}sandbox_{random_token(24)}"
        meta_set(sandbox, meta_key, value)
    return value
