"""The operator's first hour, for real: the installed `comptoir` CLI, a real server, HTTP.

Runs `comptoir db upgrade`, `comptoir seed-demo` and `comptoir serve` as subprocesses on a
temporary data folder and free ports (never the demo's 8000 / 12111, so the suite passes while
`make demo` runs), waits for /healthz (polling with a deadline), replays the README's curl session
read from README.md itself in one shell (`tests/e2e/readme.py`), then stops the server with Ctrl+C
(SIGINT) and expects a clean exit.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.e2e import readme
from tests.e2e.cli_process import Background, cli_env, json_logs, run_comptoir
from tests.servers import free_port
from tests.support import wait_until

LONG_SECRET = "a-jwt-secret-of-forty-eight-bytes-0123456789abcd"
STOP_DEADLINE_S = 10.0
"""Generous: a stop is expected well within 5 s (see the report of a manual run), never measured here."""


@dataclass
class Served:
    base_url: str
    process: Background
    data_dir: Path


def _serve(data_dir: Path, *args: str, **env: str) -> Served:
    """`comptoir serve` on a migrated, seeded folder, on a free port, its sandbox on a free port too."""
    environment = cli_env(data_dir, COMPTOIR_SANDBOX_PORT="0", **env)
    run_comptoir("db", "upgrade", env=environment)
    run_comptoir("seed-demo", env=environment)
    port = free_port()
    process = Background(["serve", "--port", str(port), *args], environment)
    base_url = f"http://127.0.0.1:{port}"
    try:
        process.wait_http(f"{base_url}/healthz")
    except BaseException:
        process.kill()
        raise
    return Served(base_url, process, data_dir)


@pytest.fixture
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    running = _serve(tmp_path_factory.mktemp("comptoir-data"), "--dev")
    try:
        yield running
    finally:
        running.process.kill()


def _login(http: httpx.Client, email: str, password: str) -> dict[str, str]:
    login = http.post("/api/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def test_the_readme_session_works_against_a_real_server_which_then_stops_cleanly(served: Served) -> None:
    # given the README's curl session, read from README.md (login, order, read back, errors, paying, cancel)
    steps = readme.session_steps()
    assert any("ORDER=" in step.command for step in steps) and any("$ORDER" in step.command for step in steps)
    # when a reader pastes every command in order into one shell
    outputs = readme.replay(steps, served.base_url, env=cli_env(served.data_dir))
    # then each output the README shows is true of the real one
    untrue = {step.command.splitlines()[0]: step.untrue_in(out) for step, out in zip(steps, outputs, strict=True)}
    assert {command: wrong for command, wrong in untrue.items() if wrong} == {}
    # and the order it placed got a payment page at the sandbox, then was cancelled, as the README says
    assert '"status":"cancelled"' in outputs[-1] and "/c/pay/cs_test_" in outputs[-2]

    # when Ctrl+C reaches the server
    code = served.process.interrupt()
    # then it shut down cleanly, after having printed its URLs and the demo logins
    out, err = "\n".join(served.process.lines["stdout"]), "\n".join(served.process.lines["stderr"])
    assert code == 0, err
    assert f"{served.base_url}/docs" in out
    assert "client@example.com / motdepasse123" in out
    assert "Application shutdown complete" in err
    # and the generated dev secret is in the data folder, readable by its owner only
    assert (served.data_dir / "jwt-secret").stat().st_mode & 0o077 == 0


def test_ctrl_c_with_a_merchant_event_stream_open_ends_the_stream_and_the_process(served: Served) -> None:
    # given a merchant's screen holding the live event stream open
    opened, ended = threading.Event(), threading.Event()
    received: list[str] = []

    def watch() -> None:
        with httpx.Client(base_url=served.base_url, timeout=30.0) as http:
            headers = _login(http, "porsche@example.com", "merchant123")
            with http.stream("GET", "/api/merchant/events", headers=headers) as stream:
                for text in stream.iter_text():
                    received.append(text)
                    opened.set()
        ended.set()

    screen = threading.Thread(target=watch, daemon=True)
    screen.start()
    assert opened.wait(30), "the event stream did not open"
    # when Ctrl+C reaches the server
    code = served.process.interrupt(timeout=STOP_DEADLINE_S)
    # then the stream was ended by the server (not cut), and the process exited cleanly
    assert code == 0, served.process.output()
    assert ended.wait(STOP_DEADLINE_S), "the event stream was left open"
    assert ": connected" in "".join(received)


def test_a_start_logs_no_connection_error_and_each_uvicorn_line_once(served: Served) -> None:
    # when the service has started (the worker reconciled once with the embedded sandbox) and stopped
    wait_until(
        lambda: any("/v1/" in entry["msg"] for entry in json_logs(served.process.lines["stderr"], "stripe")),
        "the worker's first call to the sandbox",
    )
    assert served.process.interrupt() == 0
    err = served.process.lines["stderr"]
    # then no call to the sandbox failed or was retried
    stripe = [entry["msg"] for entry in json_logs(err, "stripe")]
    assert not [msg for msg in stripe if "retry" in msg.lower() or "error" in msg.lower()], stripe
    assert not [entry for entry in json_logs(err) if entry["level"] in {"warning", "error", "critical"}]
    # and uvicorn's start and stop lines come once, not once per server
    for line in ("Started server process", "Application startup complete", "Application shutdown complete"):
        assert sum(line in text for text in err) == 1, "\n".join(err)


@pytest.mark.parametrize(("which", "setting"), [("shop", "--port"), ("sandbox", "COMPTOIR_SANDBOX_PORT")])
def test_a_taken_port_stops_the_start_before_the_banner_with_one_line(tmp_path: Path, which: str, setting: str) -> None:
    # given a migrated folder and a port someone else listens on
    env = cli_env(tmp_path)
    run_comptoir("db", "upgrade", env=env)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        shop_port, sandbox_port = (port, free_port()) if which == "shop" else (free_port(), port)
        # when `comptoir serve --dev` is asked to use it
        done = run_comptoir(
            "serve", "--dev", "--port", str(shop_port), env=env | {"COMPTOIR_SANDBOX_PORT": str(sandbox_port)}, expect=2
        )
    # then no banner, and one line naming the port and the setting that moves it
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"error: port {port} on 127.0.0.1 is already in use; choose another with {setting}"
    ]


def test_the_sandbox_alone_on_a_taken_port_stops_with_the_same_line_as_serve(tmp_path: Path) -> None:
    # given a port someone else listens on
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # when `comptoir sandbox` is asked to use it
        done = run_comptoir("sandbox", "--port", str(port), env=cli_env(tmp_path), expect=2)
    # then no banner and no uvicorn error, but serve's one line naming the option that moves it
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"error: port {port} on 127.0.0.1 is already in use; choose another with --port"
    ]


def test_serve_refuses_to_start_without_a_real_jwt_secret_outside_dev_mode(tmp_path: Path) -> None:
    # given a migrated database and no COMPTOIR_JWT_SECRET
    env = cli_env(tmp_path)
    run_comptoir("db", "upgrade", env=env)
    # when
    done = run_comptoir("serve", "--port", str(free_port()), env=env, expect=2)
    # then
    assert "COMPTOIR_JWT_SECRET" in done.stderr
    assert not (tmp_path / "jwt-secret").exists()


def test_serve_sandbox_outside_dev_says_so_loudly_and_the_payment_commands_find_its_sandbox(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # given `comptoir serve --sandbox` without --dev and without a Stripe key
    running = _serve(tmp_path_factory.mktemp("comptoir-data"), "--sandbox", COMPTOIR_JWT_SECRET=LONG_SECRET)
    try:
        # then it says loudly that nobody really pays
        assert any("WARNING" in line and "TEST sandbox" in line for line in running.process.lines["stderr"])
        env = cli_env(running.data_dir)
        # when `comptoir reconcile` runs on the same data folder, with nothing exported by hand
        done = run_comptoir("reconcile", env=env)
        # then it reached the embedded sandbox (it lists refunds there even with no payment to check)
        assert "checked 0 payment attempts; 0 repaired" in done.stdout, done.stdout + done.stderr
        # and so do `events replay` and `worker`
        assert "no failed events to replay" in run_comptoir("events", "replay", "--failed", env=env).stdout
        worker = Background(["worker"], env | {"COMPTOIR_RECONCILE_EVERY_SECONDS": "3600"})
        try:
            wait_until(lambda: worker.lines["stdout"], "the worker to start")
            assert "embedded sandbox" in worker.lines["stdout"][0], worker.output()
            assert worker.interrupt() == 0
        finally:
            worker.kill()
        # and the sandbox's keys are kept in the data folder, readable by its owner only
        assert (running.data_dir / "embedded-sandbox.json").stat().st_mode & 0o077 == 0
        assert running.process.interrupt() == 0
    finally:
        running.process.kill()
