"""API-key authentication with Stripe's 401 messages."""

from __future__ import annotations

import base64
import re
from typing import Any

from ..config import SandboxConfig
from ..errors import StripeError, authentication_error
from ..keys import accepted_secret_keys

SECRET_KEY_FORM = re.compile(r"sk_test_[A-Za-z0-9_]+")
_PUBLISHABLE = re.compile(r"pk_test_[A-Za-z0-9_]+")

NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization header, "
    "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api"
    "#authentication for details, or we can help at https://support.stripe.com/."
)
PUBLISHABLE_NOT_ALLOWED = (
    "This API call cannot be made with a publishable API key. Please use a secret API "
    "key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys."
)


def _redact(key: str) -> str:
    """Stripe's way of naming a refused key: its prefix and last four characters."""
    if len(key) <= 12:
        return key[:3] + "*" * max(0, len(key) - 3)
    prefix = key[: key.index("_", 3) + 1] if key.count("_") >= 2 else key[:3]
    return f"{prefix}****{key[-4:]}"


def api_key_from(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip()
    if scheme == "basic":
        try:
            return base64.b64decode(value).decode("utf-8").split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            return ""
    return ""


def authenticate(sandbox: Any, header: str | None, publishable_ok: bool) -> bool:
    """Return ``True`` for a publishable key, ``False`` for a secret key; raise 401 otherwise.

    Secret keys: only those the sandbox knows (``keys.accepted_secret_keys``). Publishable keys:
    any well-formed one unless the configuration names them."""
    config: SandboxConfig = sandbox.config
    key = api_key_from(header)
    if key is None:
        raise authentication_error(NO_KEY)
    if SECRET_KEY_FORM.fullmatch(key) and key in accepted_secret_keys(sandbox):
        return False
    if _PUBLISHABLE.fullmatch(key) and (config.publishable_keys is None or key in config.publishable_keys):
        if not publishable_ok:
            raise authentication_error(PUBLISHABLE_NOT_ALLOWED)
        return True
    if not key:
        raise authentication_error("Invalid API Key provided: the Authorization header must be 'Bearer sk_test_…'.")
    raise StripeError(401, "invalid_request_error", f"Invalid API Key provided: {_redact(key)}", stored=False)
