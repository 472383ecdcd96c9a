"""`comptoir serve` with the embedded sandbox: the shop keeps the sandbox's time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from comptoir.cli import _print_banner, servers_to_run
from comptoir.config import Settings
from comptoir.serving import listen


def test_moving_the_embedded_sandbox_clock_moves_the_shop_clock(tmp_path: Path) -> None:
    # given the servers `comptoir serve --dev` runs with no Stripe key, on free ports
    with listen("127.0.0.1", 0, "--port") as shop_sock, listen("127.0.0.1", 0, "COMPTOIR_SANDBOX_PORT") as sandbox_sock:
        shop, sandbox = servers_to_run(Settings(dev=True, data_dir=tmp_path), shop_sock, sandbox_sock)
        assert (shop.name, sandbox.name) == ("comptoir", "sandbox")
        try:
            # when the sandbox clock is moved an hour ahead (as the control API's clock/advance does)
            sandbox.app.state.sandbox.advance_clock(3600)
            # then the shop's "now" is an hour ahead too, so the sessions it asks for still expire in the future
            ahead = shop.app.state.clock() - datetime.now(UTC)
            assert timedelta(minutes=59) < ahead < timedelta(minutes=61)
        finally:
            shop.app.state.engine.dispose()
            sandbox.app.state.sandbox.close()


def test_the_embedded_sandbox_delivers_like_stripe_and_the_banner_names_the_seed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given the servers `comptoir serve --dev` (the demo) runs with no Stripe key
    with listen("127.0.0.1", 0, "--port") as shop_sock, listen("127.0.0.1", 0, "COMPTOIR_SANDBOX_PORT") as sandbox_sock:
        specs = servers_to_run(Settings(dev=True, data_dir=tmp_path), shop_sock, sandbox_sock)
        shop, sandbox = specs
        try:
            # when the start-up banner is printed
            _print_banner(Settings(dev=True, data_dir=tmp_path), specs, [])
            # then the sandbox has Stripe's delivery habits, and the banner gives their rates and seed
            faults = sandbox.app.state.webhooks.faults
            assert faults.duplicate > 0 and faults.reorder_window > 1
            assert f"webhook faults: {faults.describe()}" in capsys.readouterr().out
            assert f"seed {faults.seed}" in faults.describe()
        finally:
            shop.app.state.engine.dispose()
            sandbox.app.state.sandbox.close()
