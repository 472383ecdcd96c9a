"""Mail senders behind the `Mailer` port: real SMTP (smtplib), or the console for the demo."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

log = logging.getLogger("comptoir.mail")


class ConsoleMailer:
    """Writes each message to the log instead of sending it (the default in `make demo`)."""

    def __init__(self, sender: str) -> None:
        self.sender = sender

    def send(self, *, to: str, subject: str, body: str) -> None:
        log.info("mail to %s: %s\n%s", to, subject, body, extra={"mail_to": to, "mail_subject": subject})


class SmtpMailer:
    """Sends through an SMTP server given as `smtp://[user:pass@]host[:port]` (STARTTLS when the
    server offers it) or `smtps://…` (TLS from the start)."""

    def __init__(self, url: str, sender: str, *, timeout: float = 15.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("COMPTOIR_SMTP_URL must look like smtp://user:pass@host:587 or smtps://host:465")
        self._tls = parts.scheme == "smtps"
        self._host = parts.hostname
        self._port = parts.port or (465 if self._tls else 25)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._sender = sender
        self._timeout = timeout

    def send(self, *, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        context = ssl.create_default_context()
        if self._tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout, context=context)
        else:
            client = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        with client:
            client.ehlo()
            if not self._tls and client.has_extn("starttls"):
                client.starttls(context=context)
            if self._user and self._password:
                client.login(self._user, self._password)
            client.send_message(message)
