"""Anti-CSRF tokens for the sandbox's own forms (hosted checkout, 3-D Secure challenge).

A token is an HMAC of the form's scope (the Checkout Session or PaymentIntent id) under a
secret drawn when the pages are built, so another site cannot make a visitor's browser pay or
authenticate: it cannot compute the token, and it cannot read our page to copy it. Tokens from
before a sandbox restart stop matching; the page then simply asks the buyer to try again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


class FormTokens:
    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def issue(self, scope: str) -> str:
        return hmac.new(self._secret, scope.encode(), hashlib.sha256).hexdigest()

    def check(self, scope: str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.issue(scope), token or "")
