"""Who is signed in on a page: a signed session cookie that lasts a working day and renews while used.

The cookie holds the session itself, signed with itsdangerous under a key derived from
`COMPTOIR_JWT_SECRET` (salted, so an access token and a cookie can never stand for each other):
the user, a CSRF secret, the moment it was last renewed and the messages to show once. There is no
server-side store, hence no table and nothing to clean up; the price is that signing out clears the
cookie in that browser but cannot recall a copy taken from it before (it still lapses after the idle time).

The expiry slides: a session unused for `idle_seconds` (12 h by default) has lapsed, and any page
seen renews it, at most once a minute. A screen left open through a service is never dropped, as a
one-hour access token would. The JSON API does not read this cookie: it keeps its Bearer tokens.

The cookie is HttpOnly and SameSite=Lax, and Secure when the page is served over HTTPS (directly, or
behind a trusted proxy that says so, or when COMPTOIR_PUBLIC_URL is https).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from http.cookies import CookieError, SimpleCookie

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "comptoir_session"
SALT = "comptoir.page-session"
RENEW_EVERY_SECONDS = 60
"""A used session is re-signed when its renewal is older than this: fresh enough, and not a new
cookie on every request."""
MAX_FLASHES = 5


@dataclass(frozen=True, slots=True)
class PageSession:
    """One browser's session. `user_id` None: nobody signed in (the sign-in form still needs `csrf`)."""

    csrf: str
    seen_at: int
    user_id: int | None = None
    flashes: tuple[str, ...] = ()

    @classmethod
    def anonymous(cls, now: datetime) -> PageSession:
        return cls(csrf=secrets.token_urlsafe(32), seen_at=int(now.timestamp()))

    def signed_in(self, user_id: int, now: datetime) -> PageSession:
        """A new session for this user: a new CSRF secret too, so nothing from before the sign-in carries over."""
        return PageSession(csrf=secrets.token_urlsafe(32), seen_at=int(now.timestamp()), user_id=user_id)

    def with_flash(self, message_id: str) -> PageSession:
        return replace(self, flashes=(*self.flashes, message_id)[-MAX_FLASHES:])


class SessionCodec:
    """Signs sessions into cookie values and reads them back, refusing forged and lapsed ones."""

    def __init__(self, secret: str, idle_seconds: int) -> None:
        self._serializer = URLSafeSerializer(secret, salt=SALT)
        self.idle_seconds = idle_seconds

    def encode(self, session: PageSession) -> str:
        return self._serializer.dumps(
            {"c": session.csrf, "s": session.seen_at, "u": session.user_id, "f": list(session.flashes)}
        )

    def decode(self, value: str, now: datetime) -> PageSession | None:
        """The session in `value`, or None if it is forged, malformed or unused for longer than the idle time."""
        try:
            data = self._serializer.loads(value)
            session = PageSession(
                csrf=str(data["c"]),
                seen_at=int(data["s"]),
                user_id=None if data["u"] is None else int(data["u"]),
                flashes=tuple(str(flash) for flash in data["f"])[:MAX_FLASHES],
            )
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        if now.timestamp() - session.seen_at > self.idle_seconds:
            return None
        return session


class SessionSlot:
    """The request's session, read from its cookie on first use; a changed or renewed one is sent back."""

    def __init__(self, codec: SessionCodec, cookie_value: str | None, now: datetime) -> None:
        self._codec = codec
        self._cookie_value = cookie_value
        self._now = now
        self._session: PageSession | None = None
        self.changed = False

    @property
    def session(self) -> PageSession:
        if self._session is None:
            read = self._codec.decode(self._cookie_value, self._now) if self._cookie_value else None
            if read is None:
                self.replace(PageSession.anonymous(self._now))
            elif self._now.timestamp() - read.seen_at >= RENEW_EVERY_SECONDS:
                self.replace(replace(read, seen_at=int(self._now.timestamp())))
            else:
                self._session = read
        assert self._session is not None
        return self._session

    @property
    def now(self) -> datetime:
        return self._now

    def replace(self, session: PageSession) -> None:
        self._session = session
        self.changed = True

    def leave_cookie_alone(self) -> None:
        """Send no cookie back, whatever this request did to the session: a refused cross-site post
        arrives without the browser's cookie (SameSite), and must not replace it with an empty session."""
        self.changed = False

    def take_flashes(self) -> tuple[str, ...]:
        flashes = self.session.flashes
        if flashes:
            self.replace(replace(self.session, flashes=()))
        return flashes

    def set_cookie_header(self, secure: bool) -> str:
        cookie: SimpleCookie = SimpleCookie()
        cookie[COOKIE] = self._codec.encode(self.session)
        morsel = cookie[COOKIE]
        morsel["path"] = "/"
        morsel["max-age"] = self._codec.idle_seconds
        morsel["httponly"] = True
        morsel["samesite"] = "Lax"
        if secure:
            morsel["secure"] = True
        return morsel.OutputString()


class PageSessions:
    """ASGI middleware: puts a SessionSlot in each request's state, and sends its cookie back when the
    pages changed or renewed it. Requests that never look at the session (the API) get no cookie."""

    def __init__(self, app: ASGIApp, *, codec: SessionCodec, clock: Callable[[], datetime], https: bool) -> None:
        self.app = app
        self.codec = codec
        self.clock = clock
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        slot = SessionSlot(self.codec, _cookie(scope, COOKIE), self.clock())
        scope.setdefault("state", {})["page_session"] = slot

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and slot.changed:
                headers = MutableHeaders(scope=message)
                headers.append("set-cookie", slot.set_cookie_header(self.https or scope.get("scheme") == "https"))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _cookie(scope: Scope, name: str) -> str | None:
    for header, value in scope.get("headers", []):
        if header == b"cookie":
            cookie: SimpleCookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except CookieError:  # a mangled Cookie header means no session, never a 500
                continue
            if name in cookie:
                return cookie[name].value
    return None
