"""How many failed logins and registrations the doors let through before they say "wait".

Failed logins are counted per account (the email as typed, known or not, so a 429 does not reveal
who has an account) and per client address; registrations are counted per client address. Only
*failed* logins count: a shop whose staff all log in from one address is refused only when that
address itself has failed too often, never because one colleague mistyped their own password.
A successful login clears its account's failures (not the address's: one good password must not
buy an attacker a fresh round against other accounts).

A locked-out user gets back in by waiting: the counts live in a moving window, and the refusal
says how many seconds are left. Counting is check-then-count, so attempts already in flight when
the limit is reached may still be checked (at most one per concurrent request), never more.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from comptoir.domain.errors import TooManyAttempts
from comptoir.services.ports import AttemptCounter, AttemptLimit


@dataclass(frozen=True, slots=True)
class DoorLimits:
    failed_logins_per_account: AttemptLimit
    failed_logins_per_address: AttemptLimit
    registrations_per_address: AttemptLimit

    @classmethod
    def of(
        cls,
        *,
        per_account: int,
        per_address: int,
        login_window_seconds: int,
        registrations: int,
        registration_window_seconds: int,
    ) -> DoorLimits:
        return cls(
            AttemptLimit("login-account", per_account, login_window_seconds),
            AttemptLimit("login-address", per_address, login_window_seconds),
            AttemptLimit("register-address", registrations, registration_window_seconds),
        )


class LoginGuard:
    """The limits of the login and registration doors, over one AttemptCounter."""

    def __init__(self, counter: AttemptCounter, limits: DoorLimits) -> None:
        self._counter = counter
        self._limits = limits

    def check_login(self, email: str, address: str) -> None:
        """Refuse before the password is even hashed if this account or this address failed too often."""
        wait = max(
            self._counter.seconds_until_allowed(self._limits.failed_logins_per_account, account_key(email)),
            self._counter.seconds_until_allowed(self._limits.failed_logins_per_address, address_key(address)),
        )
        if wait:
            raise TooManyAttempts(
                f"Too many failed logins for this account or from this address: try again in {_span(wait)} "
                "(the limit lifts by itself; nothing needs resetting)",
                retry_after=wait,
            )

    def login_failed(self, email: str, address: str) -> None:
        self._counter.count(self._limits.failed_logins_per_account, account_key(email))
        self._counter.count(self._limits.failed_logins_per_address, address_key(address))

    def login_succeeded(self, email: str) -> None:
        self._counter.forget(self._limits.failed_logins_per_account, account_key(email))

    def admit_registration(self, address: str) -> None:
        """Count one registration attempt from `address`, or refuse it if there were too many."""
        limit = self._limits.registrations_per_address
        key = address_key(address)
        wait = self._counter.seconds_until_allowed(limit, key)
        if wait:
            raise TooManyAttempts(
                f"Too many accounts created from this address: try again in {_span(wait)}", retry_after=wait
            )
        self._counter.count(limit, key)


def account_key(email: str) -> str:
    return email.strip().lower()


def address_key(address: str) -> str:
    """An IPv4 address as is; an IPv6 address as its /64, which one household or shop usually holds whole
    (otherwise one client could try from each of its 2^64 addresses)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _span(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} s"
    minutes = -(-seconds // 60)
    return f"{minutes} min"
