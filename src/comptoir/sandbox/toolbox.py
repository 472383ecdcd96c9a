"""``comptoir sandbox trigger | events | logs``: a Stripe-CLI-like toolbox for a running sandbox.

Each command talks to a sandbox over HTTP (``--url``), with its secret key: ``--api-key`` (or
``STRIPE_SECRET_KEY``), else the key the sandbox remembered in its ``--data`` folder.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import stripe
import typer
from stripe.params import EventListParams

from .keys import SECRET_KEY_META
from .server import DEFAULT_HOST, DEFAULT_PORT
from .triggers import FIXTURES, TriggerApi

UrlOption = Annotated[
    str,
    typer.Option("--url", envvar="COMPTOIR_SANDBOX_URL", help="Base URL of the running sandbox."),
]
KeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar="STRIPE_SECRET_KEY",
        help="The sandbox's secret key (default: the one remembered in --data).",
        show_envvar=True,
    ),
]
DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="The sandbox's data folder, to read its remembered secret key."),
]
DEFAULT_URL = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"


class Sandbox:
    """One running sandbox as the toolbox sees it: the SDK on ``/v1`` and the control API."""

    def __init__(self, url: str, api_key: str | None, data: Path | None) -> None:
        self.url = url.rstrip("/")
        self.key = api_key or _remembered_key(data)
        self.client = stripe.StripeClient(self.key, base_addresses={"api": self.url}, max_network_retries=2)

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            answer = httpx.request(
                method,
                f"{self.url}/_sandbox/{path}",
                json=body,
                headers={"Authorization": f"Bearer {self.key}"},
                timeout=30.0,
            )
        except httpx.HTTPError as exc:
            raise typer.BadParameter(f"no sandbox answers at {self.url} ({exc})", param_hint="--url") from exc
        if answer.status_code >= 400:
            message = answer.json().get("error", {}).get("message", answer.text) if answer.content else answer.text
            typer.echo(f"error: {message}", err=True)
            raise typer.Exit(1)
        return answer.json()


def _remembered_key(data: Path | None) -> str:
    database = data / "sandbox.sqlite3" if data else None
    if database is None or not database.exists():
        raise typer.BadParameter("give the sandbox's secret key (--api-key or STRIPE_SECRET_KEY) or its --data folder")
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (SECRET_KEY_META,)).fetchone()
    if row is None:
        raise typer.BadParameter(f"{database} holds no remembered key: give --api-key")
    return str(row[0])


def _when(timestamp: float | None) -> str:
    if not timestamp:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def trigger(
    event_type: Annotated[str, typer.Argument(help="The event to produce, e.g. payment_intent.succeeded.")],
    url: UrlOption = DEFAULT_URL,
    api_key: KeyOption = None,
    data: DataOption = None,
) -> None:
    """Create the objects that make the sandbox emit EVENT_TYPE (like `stripe trigger`).

    Supported: the event types comptoir handles (run with an unknown type to list them)."""
    fixture = FIXTURES.get(event_type)
    if fixture is None:
        raise typer.BadParameter(f"{event_type!r} is not supported; use one of: {', '.join(sorted(FIXTURES))}")
    sandbox = Sandbox(url, api_key, data)
    before = sandbox.client.v1.events.list({"limit": 1}).data
    fixture(TriggerApi(sandbox.client, sandbox.control))
    newer = sandbox.client.v1.events.list({"limit": 100, **({"ending_before": before[0].id} if before else {})}).data
    typer.echo(f"Triggered {event_type}; events emitted:")
    for event in reversed(newer):
        typer.echo(f"  {event.id}  {event.type}")


def events_list(
    url: UrlOption = DEFAULT_URL,
    api_key: KeyOption = None,
    data: DataOption = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many events, newest first.")] = 20,
    event_type: Annotated[str | None, typer.Option("--type", help="Only events of this type.")] = None,
) -> None:
    """The newest events with their deliveries (status, attempts, next retry)."""
    sandbox = Sandbox(url, api_key, data)
    params: EventListParams = {"limit": limit}
    if event_type:
        params["type"] = event_type
    for event in sandbox.client.v1.events.list(params).data:
        typer.echo(f"{event.id}  {_when(event.created)}  {event.type}")
        for row in sandbox.control("GET", f"deliveries?event_id={event.id}")["data"]:
            retry = f", next retry {_when(row['next_attempt_at'])}" if row.get("next_attempt_at") else ""
            typer.echo(f"    -> {row['endpoint_id']}: {row['status']}, {row['attempts']} attempt(s){retry}")


def events_resend(
    event_id: Annotated[str, typer.Argument(help="The evt_… id to deliver again.")],
    endpoint: Annotated[
        list[str] | None,
        typer.Option(
            "--endpoint",
            help="we_… id (or 'forward_to', the --forward-to target); repeat for several. "
            "Default: every earlier target.",
        ),
    ] = None,
    url: UrlOption = DEFAULT_URL,
    api_key: KeyOption = None,
    data: DataOption = None,
) -> None:
    """Deliver an event again, as a new delivery (like the Dashboard's Resend)."""
    sandbox = Sandbox(url, api_key, data)
    targets = endpoint or sorted(
        {row["endpoint_id"] for row in sandbox.control("GET", f"deliveries?event_id={event_id}")["data"]}
    )
    if not targets:
        typer.echo(f"error: {event_id} was never delivered anywhere; give --endpoint", err=True)
        raise typer.Exit(1)
    for target in targets:
        outcome = sandbox.control("POST", "deliveries/resend", {"event_id": event_id, "endpoint_id": target})
        typer.echo(f"{event_id} -> {target}: resent ({outcome.get('status')})")


def logs(
    url: UrlOption = DEFAULT_URL,
    api_key: KeyOption = None,
    data: DataOption = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many of the last requests to show.")] = 50,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new requests as they come.")] = False,
    interval: Annotated[float, typer.Option(min=0.05, help="Seconds between two looks with --follow.")] = 0.5,
    stop_after: Annotated[float | None, typer.Option(hidden=True, help="With --follow, stop after this long.")] = None,
) -> None:
    """The sandbox's requests to /v1 with their status and idempotency key (`--follow`: live)."""
    sandbox = Sandbox(url, api_key, data)
    last = 0
    deadline = None if stop_after is None else time.monotonic() + stop_after
    while True:
        for entry in sandbox.control("GET", f"logs?after={last}&limit={limit}")["data"]:
            last = entry["seq"]
            extras = [f"key={entry['idempotency_key']}"] if entry["idempotency_key"] else []
            extras += ["replayed"] * entry["replayed"] + ([f"fault={entry['fault']}"] if entry["fault"] else [])
            typer.echo(
                f"{_when(entry['created'])}  {entry['status']}  {entry['method']:<6} {entry['path']}  "
                f"{entry['request_id'] or '-'}  {' '.join(extras)}".rstrip()
            )
        if not follow or (deadline is not None and time.monotonic() >= deadline):
            return
        time.sleep(interval)


def register(app: typer.Typer, group_cls: Any = None) -> None:
    """Add the toolbox to the ``sandbox`` command group."""
    app.command("trigger")(trigger)
    app.command("logs")(logs)
    events = typer.Typer(help="Events the sandbox emitted, and their deliveries.", no_args_is_help=True, cls=group_cls)
    events.command("list")(events_list)
    events.command("resend")(events_resend)
    app.add_typer(events, name="events")
