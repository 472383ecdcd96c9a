"""bench/chaos.py on a small run, on SQLite and on PostgreSQL: two `serve` processes and a `worker` on one
database, two `kill -9` among them during 20 checkouts under duplicated, reordered and dropped webhooks;
its audit of the sandbox's money against comptoir's must find nothing lost, doubled, kept on a cancelled
order or leaked from stock. Its timings are not asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "chaos.py"
ZERO_FIGURES = ("lost", "doubled", "kept on cancelled orders", "stuck", "stock leaked", "ledger mismatches")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest) -> list[str]:
    if request.param == "sqlite":
        return ["--db", "sqlite"]
    server: str = request.getfixturevalue("_pg_database")  # the script makes (and drops) a database of its own there
    return ["--db", "postgresql", "--pg-url", server]


def _figures(stdout: str) -> dict[str, str]:
    """The report's `name: value` lines (not the indented examples)."""
    return dict(line.split(": ", 1) for line in stdout.splitlines() if ": " in line and not line.startswith(" "))


def test_a_small_chaos_run_loses_doubles_keeps_and_leaks_nothing(database: list[str]) -> None:
    # given 20 buyers, 4 at a time, spread over two serve processes, and a kill -9 every second, twice
    command = [sys.executable, str(SCRIPT), "--checkouts", "20", "--buyers", "6", "--kill-every", "1"]
    command += ["--retry-schedule", "0.2,0.5,1"]  # deliveries a kill cut short are retried within seconds
    # when the run is over, settled, reconciled and audited
    done = subprocess.run([*command, "--kills", "2", *database], capture_output=True, text=True, timeout=240)
    report = done.stdout + done.stderr
    figures = _figures(done.stdout)
    # then two processes were killed mid-run and every story was played, paying a cancelled order's open page too
    assert figures.get("kills", "").startswith("2 "), report
    assert figures["checkouts"] == "20"
    assert int(figures["paid"]) >= 10, report
    assert "cancel-then-pay: cancelled, then the open page: " in figures["buyer outcomes"]
    # and the audit finds nothing lost, doubled, kept on a cancelled order, leaked, or out of the ledger
    assert {name: figures[name] for name in ZERO_FIGURES} == dict.fromkeys(ZERO_FIGURES, "0"), report
    assert done.returncode == 0, report


def test_with_api_faults_nothing_is_lost_doubled_kept_or_stuck() -> None:
    # given 20 buyers while the sandbox answers comptoir's calls with 500s, 429s, slow and lost responses
    command = [sys.executable, str(SCRIPT), "--db", "sqlite", "--checkouts", "20", "--buyers", "6"]
    command += ["--kill-every", "1", "--kills", "1", "--retry-schedule", "0.2,0.5,1", "--api-faults", "0.05"]
    # when
    done = subprocess.run(command, capture_output=True, text=True, timeout=240)
    report = done.stdout + done.stderr
    figures = _figures(done.stdout)
    # then faults were injected, and the audit finds nothing lost, doubled, kept, stuck, leaked or out of the ledger
    assert int(figures.get("API faults injected", "0").split()[0]) > 0, report
    assert {name: figures[name] for name in ZERO_FIGURES} == dict.fromkeys(ZERO_FIGURES, "0"), report
    assert done.returncode == 0, report
