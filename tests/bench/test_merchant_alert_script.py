"""bench/merchant_alert.py keeps working: a tiny run over real HTTP (a real service process, SSE clients
of the merchant feed, signed webhooks) in which every client gets every paid order, and whose figures
are printed in a form that parses. No duration is asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "merchant_alert.py"
NUMBER = r"(-?\d+(?:\.\d+)?)"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> list[str]:
    if request.param == "sqlite":
        return ["--db", "sqlite"]
    server: str = request.getfixturevalue("_pg_database")  # the script makes (and drops) a database of its own there
    # the counter board's stream on SQLite (the default), the JSON API's feed on PostgreSQL: both kept working
    return ["--db", "postgresql", "--postgres-url", server, "--stream", "api"]


def _figure(pattern: str, stdout: str) -> tuple[float, ...]:
    match = re.search(pattern, stdout)
    assert match, f"no line matching {pattern!r} in:\n{stdout}"
    return tuple(float(group) for group in match.groups())


def test_every_client_gets_every_paid_order_and_the_figures_are_printed(database: list[str]) -> None:
    # given 3 boards on the shop's feed and 5 orders paid by signed webhooks
    command = [sys.executable, str(SCRIPT), "--clients", "3", "--orders", "5", "--rate", "10"]
    command += ["--baseline", "0.5", "--probe-interval", "0.05", *database]
    # when the bench runs
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    report = done.stdout + done.stderr
    # then it exits 0, every webhook was processed and every client got all 5 events, once each
    assert done.returncode == 0, report
    assert _figure(r"webhooks: answered processed (\d+)/(\d+), failed (\d+)", done.stdout) == (5, 5, 0), report
    expected, low, high, duplicates = _figure(
        r"events per client: expected (\d+), received min (\d+) max (\d+); duplicates (\d+)", done.stdout
    )
    assert (expected, low, high, duplicates) == (5, 5, 5, 0), report
    assert _figure(r"(?m)^missing: (\d+)$", done.stdout) == (0,)
    # and it prints the delay percentiles over 5 orders x 3 clients, and /healthz in each phase with the ratio
    samples, p50, p99, most = _figure(
        rf"delay webhook commit -> client \(ms, (\d+) events x clients\): p50 {NUMBER}  p99 {NUMBER}  max {NUMBER}",
        done.stdout,
    )
    assert samples == 15
    assert p50 <= p99 <= most
    for phase in ("idle", "clients connected", "under load"):
        p50, p99, probes = _figure(
            rf"/healthz {phase} +p50 +{NUMBER} ms  p99 +{NUMBER} ms  \((\d+) probes, 0 errors\)", done.stdout
        )
        assert probes >= 1 and p50 <= p99
    assert _figure(rf"/healthz p99 under load / idle: {NUMBER}", done.stdout)[0] > 0
