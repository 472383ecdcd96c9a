"""The loop behind every Server-Sent Events stream of the shop's order events: the JSON API's feed
(`/api/merchant/events`) and the counter board's (`/merchant/board/events`). They differ only in how
an event is written and in what ends a stream early (an expired token for the API).

A stream holds its `feed.FeedHub` subscription, wakes every `TICK_SECONDS` without reading the
database, sends a keep-alive comment when idle, and ends after `seconds` (the browser reconnects with
`Last-Event-ID`) or within a tick when the server is stopping.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

from fastapi import Request

from comptoir.domain.actors import Actor
from comptoir.services.merchant import feed

TICK_SECONDS = 1.0
"""How often an idle stream checks whether it must end (no database read: the shop's poller in
`feed.FeedHub` reads for every stream)."""
KEEPALIVE_SECONDS = 15.0
STREAM_SECONDS = 300.0
"""A stream ends after this; EventSource reconnects by itself with Last-Event-ID and misses nothing.
A stopping server ends every stream within one tick (`app.state.stopping`)."""


async def order_events(
    request: Request,
    actor: Actor,
    last_event_id: int | None,
    *,
    frame: Callable[[feed.MerchantEvent], str],
    ending: Callable[[], str | None] = lambda: None,
    seconds: float = STREAM_SECONDS,
) -> AsyncIterator[str]:
    """The stream's text: each event as `frame` writes it. `ending()` is asked every tick; the text it
    returns, if any, is sent last and ends the stream."""
    hub: feed.FeedHub = request.app.state.feed_hub
    stopping = request.app.state.stopping
    async with hub.subscribe(actor, last_event_id=last_event_id) as subscription:
        started = last_sent = time.monotonic()
        yield "retry: 3000\n: connected\n\n"
        while time.monotonic() - started < seconds and not stopping.is_set() and not await request.is_disconnected():
            last_words = ending()
            if last_words is not None:
                yield last_words
                return
            for event in await subscription.next(timeout=TICK_SECONDS):
                yield frame(event)
                last_sent = time.monotonic()
            if time.monotonic() - last_sent >= KEEPALIVE_SECONDS:
                yield ": keep-alive\n\n"
                last_sent = time.monotonic()
