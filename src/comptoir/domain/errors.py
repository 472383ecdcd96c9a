"""One exception tree for everything comptoir refuses.

Each error carries a stable machine `code` (clients switch on it) and a human `detail`.
The kind of refusal is expressed by the base class (NotFound, Conflict, ...); the API layer
maps those bases to HTTP statuses in one place (`comptoir.api.problems`). The domain never
speaks HTTP.
"""

from __future__ import annotations

from typing import Any


class ComptoirError(Exception):
    code: str = "error"
    title: str = "Request refused"

    def __init__(self, detail: str | None = None, *, code: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.title
        if code is not None:
            self.code = code
        self.extra = extra
        super().__init__(self.detail)


class InvalidInput(ComptoirError):
    code = "invalid_input"
    title = "The request is not valid"


class Unauthenticated(ComptoirError):
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(ComptoirError):
    code = "forbidden"
    title = "Not allowed"


class NotFound(ComptoirError):
    code = "not_found"
    title = "Not found"


class Conflict(ComptoirError):
    code = "conflict"
    title = "Conflicts with the current state"


class IllegalTransition(Conflict):
    code = "illegal_transition"
    title = "This change of state is not allowed"


class PaymentRequired(ComptoirError):
    """A payment was attempted and declined."""

    code = "payment_declined"
    title = "The payment was declined"


class UpstreamUnavailable(ComptoirError):
    """A dependency (Stripe, SMTP) failed in a way worth retrying."""

    code = "upstream_unavailable"
    title = "A payment or mail provider is unavailable"


class TooManyAttempts(ComptoirError):
    """Too many attempts in a window (failed logins, registrations); `retry_after` says when to try again.

    Raise it with `retry_after=<whole seconds>`: the API sends it as the `Retry-After` header too.
    """

    code = "too_many_attempts"
    title = "Too many attempts"
