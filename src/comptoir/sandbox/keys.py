"""The API keys the runner prints, remembered in the store so a restart prints the same ones.

A sandbox accepts, like Stripe, only the secret keys it knows: the ones its configuration names
(``SandboxConfig.api_keys``, ``--api-key``) or, when it names none, the remembered one; plus any
registered through the control API (``POST /_sandbox/keys``). Any other ``sk_test_`` key is
Stripe's 401, so a shop configured with a stale or mistyped key fails here as it would there.

``KEPT_ON_RESET`` lists the meta entries a control-API reset must keep: keys, the account and the
forwarding secret are configuration a running receiver or shop depends on, not sandbox state.
(The clock offset is kept by ``engine.reset`` itself.)
"""

from __future__ import annotations

import json
from typing import Any

from .account import ACCOUNT_META
from .ids import random_token
from .meta import meta_get, meta_set
from .webhook_secrets import FORWARD_SECRET_KEY

SECRET_KEY_META = "keys.secret"
PUBLISHABLE_KEY_META = "keys.publishable"
REGISTERED_KEYS_META = "keys.registered"
KEPT_ON_RESET = (SECRET_KEY_META, PUBLISHABLE_KEY_META, REGISTERED_KEYS_META, FORWARD_SECRET_KEY, ACCOUNT_META)


def remembered_key(sandbox: Any, meta_key: str, prefix: str) -> str:
    value = meta_get(sandbox, meta_key)
    if value is None:
        value = f"{prefix}sandbox_{random_token(24)}"
        meta_set(sandbox, meta_key, value)
    return value


def registered_keys(sandbox: Any) -> frozenset[str]:
    raw = meta_get(sandbox, REGISTERED_KEYS_META)
    return frozenset(json.loads(raw)) if raw else frozenset()


def register_key(sandbox: Any, key: str) -> frozenset[str]:
    """Accept ``key`` from now on (kept across restarts and resets); return every registered key."""
    keys = registered_keys(sandbox) | {key}
    meta_set(sandbox, REGISTERED_KEYS_META, json.dumps(sorted(keys)))
    return keys


def accepted_secret_keys(sandbox: Any) -> frozenset[str]:
    configured = sandbox.config.api_keys
    own = configured if configured is not None else frozenset({remembered_key(sandbox, SECRET_KEY_META, "sk_test_")})
    return own | registered_keys(sandbox)
