"""``comptoir sandbox`` (and ``python -m comptoir.sandbox``): run the sandbox alone, like ``stripe listen``.

``sandbox`` is a plain typer function: the callback of the ``sandbox`` command group, whose
subcommands (``trigger``, ``events``, ``logs``: see ``toolbox.py``) talk to a running sandbox.
Without a subcommand it serves; with one it returns at once and lets the subcommand run.
"""

from __future__ import annotations

import functools
import inspect
import socket
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from .api_faults import ApiFaults
from .delivery_config import DEFAULT_CHECKOUT_REDIRECT_WAIT, DEFAULT_RETRY_SCHEDULE
from .faults import FaultError, Faults, parse_delay
from .server import DEFAULT_HOST, DEFAULT_PORT, SandboxServer, build_server
from .toolbox import register

_FAULTS = "Fault injection"
_API_FAULTS = "API fault injection"


def _schedule(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise typer.BadParameter(f"expected seconds separated by commas, e.g. 1,5,25 ({exc})") from exc
    if any(value < 0 for value in values):
        raise typer.BadParameter("retry waits cannot be negative")
    return values


def _faults(
    preset: str,
    seed: int | None,
    duplicate: float | None,
    drop: float | None,
    delay: str | None,
    reorder_window: int | None,
    reorder_hold: float | None,
) -> Faults:
    """The preset, with each setting given on the command line replacing the preset's own."""
    base = Faults.preset(preset, seed)
    return replace(
        base,
        duplicate=base.duplicate if duplicate is None else duplicate,
        drop=base.drop if drop is None else drop,
        delay=base.delay if delay is None else parse_delay(delay),
        reorder_window=base.reorder_window if reorder_window is None else reorder_window,
        reorder_hold=base.reorder_hold if reorder_hold is None else reorder_hold,
    )


def sandbox(
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = DEFAULT_PORT,
    host: Annotated[
        str,
        typer.Option(
            help="Interface to bind. Keep 127.0.0.1 unless other machines "
            "must reach it: the sandbox has test keys only, but no TLS."
        ),
    ] = DEFAULT_HOST,
    forward_to: Annotated[
        str | None,
        typer.Option(
            "--forward-to",
            help="Send every event to this URL (like `stripe listen --forward-to`), signed "
            "with the whsec_ secret printed at start-up.",
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Folder for sandbox.sqlite3: objects, events, deliveries, idempotency keys and "
            "secrets survive a restart. Without it, state is kept in memory only.",
        ),
    ] = None,
    retry_schedule: Annotated[
        str,
        typer.Option(
            help="Seconds to wait before each retry of a failed delivery (non-2xx or timeout), comma-"
            "separated; the delivery is given up after the last."
        ),
    ] = ",".join(map("{:g}".format, DEFAULT_RETRY_SCHEDULE)),
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for a receiver's answer before the attempt counts as failed.")
    ] = 10.0,
    checkout_wait: Annotated[
        float,
        typer.Option(
            help="After a payment on the hosted Checkout page, longest time in seconds the buyer waits for "
            "the shop to answer checkout.session.completed before the redirect to success_url (Stripe "
            "waits up to 10)."
        ),
    ] = DEFAULT_CHECKOUT_REDIRECT_WAIT,
    faults: Annotated[
        str,
        typer.Option(
            "--faults",
            help="Delivery habits: 'stripe' (the default: an occasional duplicate and some reordering, as "
            "Stripe delivers, seeded and printed) or 'none' (every event once, in order). The options "
            "below change single settings of the chosen preset.",
            rich_help_panel=_FAULTS,
        ),
    ] = "stripe",
    duplicate: Annotated[
        float | None,
        typer.Option(
            help="Probability (0-1) that a delivery is sent twice, each copy freshly signed.", rich_help_panel=_FAULTS
        ),
    ] = None,
    reorder_window: Annotated[
        int | None,
        typer.Option(
            help="Hold up to N events and deliver them shuffled (0 or 1 = in order).", rich_help_panel=_FAULTS
        ),
    ] = None,
    reorder_hold: Annotated[
        float | None,
        typer.Option(
            help="Longest time in seconds a reorder window waits to fill up before it is released.",
            rich_help_panel=_FAULTS,
        ),
    ] = None,
    delay: Annotated[
        str | None,
        typer.Option(
            help="Wait before the first attempt: seconds ('2') or a range ('1-5', drawn per delivery).",
            rich_help_panel=_FAULTS,
        ),
    ] = None,
    drop: Annotated[
        float | None,
        typer.Option(
            help="Probability (0-1) that a delivery is never sent; it only shows up in "
            "GET /v1/events?delivery_success=false.",
            rich_help_panel=_FAULTS,
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            help="Seed for the fault draws, so a run can be repeated exactly (default: drawn, and printed).",
            rich_help_panel=_FAULTS,
        ),
    ] = None,
    api_error: Annotated[
        float,
        typer.Option(
            help="Probability (0-1) that a /v1 request is answered 500 api_error.", rich_help_panel=_API_FAULTS
        ),
    ] = 0.0,
    api_rate_limit: Annotated[
        float,
        typer.Option(help="Probability (0-1) of a 429 rate_limit answer.", rich_help_panel=_API_FAULTS),
    ] = 0.0,
    api_lock_timeout: Annotated[
        float,
        typer.Option(
            help="Probability (0-1) of a 429 lock_timeout answer (with Stripe-Should-Retry: true).",
            rich_help_panel=_API_FAULTS,
        ),
    ] = 0.0,
    api_lost: Annotated[
        float,
        typer.Option(
            help="Probability (0-1) that a request is executed but its response is lost (the connection "
            "is dropped): a retry with the same Idempotency-Key gets the saved answer.",
            rich_help_panel=_API_FAULTS,
        ),
    ] = 0.0,
    api_slow: Annotated[
        float,
        typer.Option(help="Probability (0-1) that a request waits --api-delay first.", rich_help_panel=_API_FAULTS),
    ] = 0.0,
    api_delay: Annotated[
        str,
        typer.Option(
            help="How long a slow request waits: seconds ('2') or a range ('1-5').", rich_help_panel=_API_FAULTS
        ),
    ] = "1",
    api_path: Annotated[
        list[str] | None,
        typer.Option(
            help="Inject API faults only on matching requests ('/v1/payment_intents*' or 'POST /v1/refunds'); "
            "repeat for several. Default: every /v1 request.",
            rich_help_panel=_API_FAULTS,
        ),
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option(
            help="Base URL browsers use to reach the sandbox (hosted checkout and 3-D Secure links), when "
            "it differs from http://HOST:PORT, e.g. behind a proxy or in a container."
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            help="Accept this sk_test_ key (default: the one remembered in the data folder, printed at start-up; "
            "more can be registered with POST /_sandbox/keys)."
        ),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level (debug shows every request).")] = "info",
    fd: Annotated[
        int | None,
        typer.Option(
            hidden=True,
            help="Serve on this already listening socket (a file descriptor) instead of binding HOST:PORT, "
            "for a launcher that binds the port itself, as uvicorn's --fd.",
        ),
    ] = None,
) -> None:
    """Run the offline Stripe-compatible sandbox: the API, hosted pages and signed webhooks."""
    try:
        chosen = _faults(faults, seed, duplicate, drop, delay, reorder_window, reorder_hold)
        api_faults = ApiFaults(
            error=api_error,
            rate_limit=api_rate_limit,
            lock_timeout=api_lock_timeout,
            lost=api_lost,
            slow=api_slow,
            delay=parse_delay(api_delay),
            paths=tuple(api_path or ()),
            seed=seed,
        )
        running = build_server(
            host=host,
            port=port,
            data_dir=data,
            forward_to=forward_to,
            faults=chosen,
            api_faults=api_faults,
            retry_schedule=_schedule(retry_schedule),
            delivery_timeout=timeout,
            checkout_redirect_wait=checkout_wait,
            secret_key=api_key,
            public_base_url=public_url,
            log_level=log_level,
        )
    except (FaultError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(banner(running))
    if fd is None:
        running.server.run()
        return
    with socket.socket(fileno=fd) as sock:
        running.server.run(sockets=[sock])


def banner(running: SandboxServer) -> str:
    """The start-up text: what to paste into a shop's configuration."""
    state = f"{running.data_dir / 'sandbox.sqlite3'}" if running.data_dir else "in memory (use --data DIR to keep it)"
    faults = running.webhooks.faults
    lines = [
        "comptoir sandbox: an offline, Stripe-compatible API",
        f'  API base URL     {running.url}   StripeClient(key, base_addresses={{"api": "{running.url}"}})',
        f"  Secret key       {running.secret_key}",
        f"  Publishable key  {running.publishable_key}",
        f"  Control API      {running.url}/_sandbox/   (Bearer secret key)",
        f"  State            {state}",
    ]
    lines.append(f"  Webhook faults   {faults.describe()}")
    api_faults = running.app.state.api_faults.faults
    if api_faults.active:
        lines.append(f"  API faults       {api_faults.to_dict()}")
    if running.forward_to:
        lines.append(f"Ready! Forwarding every event to {running.forward_to}.")
    else:
        lines.append(
            "Ready! Webhook endpoints created through the API get their own secrets; "
            "add --forward-to URL to receive every event with the secret below."
        )
    lines.append(f"Your webhook signing secret is {running.webhook_secret}")
    return "\n".join(lines)


def sandbox_group(serve: Callable[..., None] = sandbox, group_cls: Any = None, help: str | None = None) -> typer.Typer:
    """The ``sandbox`` group: ``serve`` (with its options) runs when no toolbox subcommand follows."""

    @functools.wraps(serve)
    def callback(ctx: typer.Context, **options: Any) -> None:
        if ctx.invoked_subcommand is None:
            serve(**options)

    signature = inspect.signature(serve)
    context = inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context)
    callback.__signature__ = signature.replace(parameters=[context, *signature.parameters.values()])  # type: ignore[attr-defined]
    group = typer.Typer(
        help=help, cls=group_cls, invoke_without_command=True, no_args_is_help=False, add_completion=False
    )
    group.callback(invoke_without_command=True)(callback)
    register(group, group_cls)
    return group


def main() -> None:
    sandbox_group()()
