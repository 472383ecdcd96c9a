"""bench/webhook_ingest.py keeps working: a small run over real HTTP whose own database checks
(each event applied once, each copy answered `duplicate`) pass. Its figures are not asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "webhook_ingest.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--events", "30", "--concurrency", "3", "--warmup", "5", *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_the_benchmark_applies_every_event_once_and_says_so() -> None:
    # when the benchmark replays 30 events and 9 duplicates against a real server
    done = _run()
    # then it exits 0 with every check ok and prints the ratio it measured
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[FAIL]" not in done.stdout
    assert done.stdout.count("[ok]") == 5
    assert "webhook answers: {'duplicate': 9, 'processed': 30}" in done.stdout
    assert "ratio webhook/healthz throughput: " in done.stdout
    # measured in three rounds, each phase first in turn, each round's ratio printed
    per_round = next(line for line in done.stdout.splitlines() if line.startswith("ratio per round"))
    assert len(per_round.split(":")[1].split()) == 3


def test_a_what_if_variant_is_labelled_as_such() -> None:
    done = _run("--variant", "ingest-on-loop")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WHAT-IF VARIANT ingest-on-loop (not comptoir as it ships)" in done.stdout
    assert done.stdout.count("[ok]") == 5
