"""Serve the comptoir shop alone under uvicorn, for bench/webhook_ingest.py and bench/merchant_alert.py.

Run with the project's interpreter (`.venv/bin/python bench/_webhook_server.py --port N ...`).
Listens on 127.0.0.1 only. The app is the normal `create_app()`: the real `StripeGateway` (a
dummy key: `checkout.session.completed` handling never calls Stripe) verifies signatures with
the given whsec_ secret; no worker runs, so nothing is mailed. uvicorn's access log is off (the
app still writes its own one JSON line per request, as in production). SIGTERM/SIGINT stop it.
"""

from __future__ import annotations

import argparse
import secrets
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True, help="a migrated, seeded database")
    parser.add_argument("--webhook-secret", required=True)
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="app")
    args = parser.parse_args(argv)

    import uvicorn
    from pydantic import SecretStr

    from comptoir.app import create_app
    from comptoir.config import Settings

    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="comptoir-bench-")),
        database_url=args.database_url,
        jwt_secret=SecretStr(secrets.token_urlsafe(48)),
        stripe_secret_key=SecretStr("sk_test_bench_webhook_ingest_dummy"),
        stripe_webhook_secrets=[SecretStr(args.webhook_secret)],
    )
    app = create_app(settings)
    VARIANTS[args.variant](app)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=args.port, lifespan="on", access_log=False, log_level="warning")
    )
    # uvicorn re-raises the signal it caught after shutting down; with these it then exits 0.
    signal.signal(signal.SIGTERM, lambda *_: None)
    signal.signal(signal.SIGINT, lambda *_: None)
    server.run()
    return 0


def _no_ingest(app: Any) -> None:
    """Signature checked and event parsed, then answered without touching the database."""
    from comptoir.services.payments import webhooks

    def answer(_uow: object, _gateway: object, deliveries: Any) -> Any:
        return [webhooks.IngestResult(event.id, event.type, "processed") for event, _ in deliveries]

    webhooks.ingest_many = answer


def _record_only(app: Any) -> None:
    """Only the event rows (INSERT … ON CONFLICT), one transaction per group, then 200: what
    "acknowledge, let the worker apply it" would cost the route. Nothing applies the events."""
    from comptoir.services.payments import webhooks

    def record(uow: Any, _gateway: object, deliveries: Any) -> Any:
        results = []
        with uow:
            for event, now in deliveries:
                new = uow.events.add_if_new(event.id, event.type, event.raw, status="received", at=now)
                results.append(webhooks.IngestResult(event.id, event.type, "processed" if new else "duplicate"))
            uow.commit()
        return results

    webhooks.ingest_many = record


def _ingest_on_loop(app: Any) -> None:
    """Each event ingested alone on the event loop thread: no worker thread, no group."""

    class OnLoop:
        serialised = True

        async def run(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)

        async def run_grouped(self, _key: str, run_many: Any, item: Any) -> Any:
            (outcome,) = run_many([item])
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

    app.state.db_lane = OnLoop()


def _feed_no_window(app: Any) -> None:
    """The merchant feed reads only ids above the highest it sent: no re-read of the WINDOW below it
    (which PostgreSQL needs, since its ids become visible out of order; SQLite commits in id order)."""
    from comptoir.services.merchant import feed

    feed.WINDOW = 0


def _feed_poll_half_second(app: Any) -> None:
    """The merchant feed's pollers read every 0.5 s instead of every second."""

    app.state.feed_hub.poll_seconds = 0.5


# What-if variants, to take the webhook's (and the merchant feed's) cost apart; only "app" is comptoir as it ships.
VARIANTS: dict[str, Callable[[Any], None]] = {
    "app": lambda _app: None,
    "no-ingest": _no_ingest,
    "ingest-on-loop": _ingest_on_loop,
    "record-only": _record_only,
    "feed-no-window": _feed_no_window,
    "feed-poll-0.5s": _feed_poll_half_second,
    "feed-no-window-poll-0.5s": lambda app: (_feed_no_window(app), _feed_poll_half_second(app)),
}


if __name__ == "__main__":
    sys.exit(main())
