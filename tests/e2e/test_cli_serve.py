"""The README's first five minutes, for real: the installed `comptoir` CLI, a real server, HTTP.

Runs `comptoir db upgrade`, `comptoir seed-demo` and `comptoir serve --dev` as subprocesses on a
temporary data folder (the sandbox on a free port), waits for /healthz (polling with a deadline),
replays the README's curl session read from README.md itself in one shell (`tests/e2e/readme.py`),
then stops the server with Ctrl+C (SIGINT) and expects a clean exit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e import readme
from tests.servers import free_port

COMPTOIR = Path(sys.executable).with_name("comptoir")
START_DEADLINE_S = 30.0
STOP_DEADLINE_S = 15.0


@dataclass
class Served:
    base_url: str
    process: subprocess.Popen[str]
    data_dir: Path


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPTOIR_", "STRIPE_"))}
    return env | {"COMPTOIR_DATA_DIR": str(data_dir), "COMPTOIR_SANDBOX_PORT": str(free_port())}


def _run(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([str(COMPTOIR), *args], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"comptoir {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _wait_until_healthy(base_url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        try:
            process.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            continue
        out, err = process.communicate()
        pytest.fail(f"comptoir serve exited with {process.returncode} before answering:\n{out}\n{err}")
    pytest.fail(f"comptoir serve did not answer /healthz within {START_DEADLINE_S}s")


@pytest.fixture
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("comptoir-data")
    env = _env(data_dir)
    _run("db", "upgrade", env=env)
    _run("seed-demo", env=env)
    port = free_port()
    process = subprocess.Popen(
        [str(COMPTOIR), "serve", "--port", str(port), "--dev"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(base_url, process)
        yield Served(base_url=base_url, process=process, data_dir=data_dir)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_the_readme_session_works_against_a_real_server_which_then_stops_cleanly(served: Served) -> None:
    # given the README's curl session, read from README.md (login, order, read back, errors, paying, cancel)
    steps = readme.session_steps()
    assert any("ORDER=" in step.command for step in steps) and any("$ORDER" in step.command for step in steps)
    # when a reader pastes every command in order into one shell
    outputs = readme.replay(steps, served.base_url, env=_env(served.data_dir))
    # then each output the README shows is true of the real one
    untrue = {step.command.splitlines()[0]: step.untrue_in(out) for step, out in zip(steps, outputs, strict=True)}
    assert {command: wrong for command, wrong in untrue.items() if wrong} == {}
    # and the order it placed got a payment page at the sandbox, then was cancelled, as the README says
    assert '"status":"cancelled"' in outputs[-1] and "/c/pay/cs_test_" in outputs[-2]

    # when Ctrl+C reaches the server
    served.process.send_signal(signal.SIGINT)
    out, err = served.process.communicate(timeout=STOP_DEADLINE_S)
    # then it shut down cleanly, after having printed its URLs and the demo logins
    assert served.process.returncode == 0, err
    assert f"{served.base_url}/docs" in out
    assert "client@example.com / motdepasse123" in out
    assert "Application shutdown complete" in err
    # and the generated dev secret is in the data folder, readable by its owner only
    assert (served.data_dir / "jwt-secret").stat().st_mode & 0o077 == 0


def test_serve_refuses_to_start_without_a_real_jwt_secret_outside_dev_mode(tmp_path: Path) -> None:
    # given a migrated database and no COMPTOIR_JWT_SECRET
    env = _env(tmp_path)
    _run("db", "upgrade", env=env)
    # when
    done = subprocess.run(
        [str(COMPTOIR), "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # then
    assert done.returncode == 2
    assert "COMPTOIR_JWT_SECRET" in done.stderr
    assert not (tmp_path / "jwt-secret").exists()
