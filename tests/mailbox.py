"""A real SMTP server in the test process (aiosmtpd), recording what it accepts.

`running_mailbox()` starts aiosmtpd's `Controller` on 127.0.0.1 at a free port; the handler
can refuse the first N deliveries with a given reply (4xx or 5xx) to exercise retries, and
tests wait for messages with a deadline (a condition variable, never a sleep).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.servers import free_port


@dataclass(frozen=True)
class Delivered:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    authenticated: bool = False

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content()).replace("\r\n", "\n")  # as sent, before SMTP's CRLF


class RecordingHandler:
    """Accepts every message after refusing the first `refuse_first` DATA commands with `refusal`."""

    def __init__(self, *, refuse_first: int = 0, refusal: str = "451 4.3.0 Try again later") -> None:
        self.refuse_first = refuse_first
        self.refusal = refusal
        self.attempts = 0
        self.delivered: list[Delivered] = []
        self._changed = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._changed:
            self.attempts += 1
            if self.attempts <= self.refuse_first:
                self._changed.notify_all()
                return self.refusal
            raw = envelope.original_content or envelope.content
            message = message_from_bytes(raw, policy=policy.default)
            assert isinstance(message, EmailMessage)
            self.delivered.append(
                Delivered(envelope.mail_from, tuple(envelope.rcpt_tos), message, bool(session.authenticated))
            )
            self._changed.notify_all()
        return "250 2.0.0 Message accepted"

    def wait_for(self, count: int, *, timeout: float = 15.0) -> list[Delivered]:
        """The delivered messages once there are at least `count` (fails after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.delivered) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.delivered)} of {count} messages arrived within {timeout}s")
                self._changed.wait(left)
            return list(self.delivered)


@dataclass(frozen=True)
class Mailbox:
    handler: RecordingHandler
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"


def _only(user: str, password: str) -> Any:
    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok)

    return authenticate


@contextmanager
def running_mailbox(
    handler: RecordingHandler | None = None, *, login: tuple[str, str] | None = None
) -> Iterator[Mailbox]:
    """An SMTP server on 127.0.0.1 for the block; with `login`, AUTH is offered over plain TCP and only
    that user and password pass it (`Delivered.authenticated` tells whether the sender logged in)."""
    handler = handler or RecordingHandler()
    extra: dict[str, Any] = {}
    if login is not None:
        extra = {"authenticator": _only(*login), "auth_require_tls": False}
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **extra)
    controller.start()
    try:
        yield Mailbox(handler, "127.0.0.1", controller.port)
    finally:
        controller.stop()
