"""The installed `comptoir` command run as a subprocess, shared by the CLI end-to-end tests.

Output is read as it comes, so a test can poll for a line (with a deadline) while the process runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx

from tests.support import wait_until

COMPTOIR = Path(sys.executable).with_name("comptoir")
DEADLINE = 30.0


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPTOIR_", "STRIPE_"))}
    return env | {"COMPTOIR_DATA_DIR": str(data_dir), "COLUMNS": "200", "NO_COLOR": "1"} | extra


def run_comptoir(*args: str, env: dict[str, str], expect: int = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(COMPTOIR), *args], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == expect, (
        f"comptoir {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    )
    return done


class Background:
    """A long-running `comptoir` subprocess whose output is read as it comes (both streams)."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [str(COMPTOIR), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.lines: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._readers = [
            threading.Thread(target=self._read, args=(name, stream), daemon=True)
            for name, stream in (("stdout", self.process.stdout), ("stderr", self.process.stderr))
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, name: str, stream: Any) -> None:
        for line in stream:
            self.lines[name].append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines["stdout"] + self.lines["stderr"])

    def wait_http(self, url: str) -> None:
        def answers() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"process exited {self.process.returncode} before answering:\n{self.output()}")
            try:
                httpx.get(url, timeout=1.0)
            except httpx.TransportError:
                return False
            return True

        wait_until(answers, f"{url} to answer", DEADLINE)

    def interrupt(self, timeout: float = 20.0) -> int:
        """Ctrl+C, and the exit code once the process and its output have ended (within ``timeout``)."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=timeout)
        self._close()
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._close()

    def _close(self) -> None:
        for reader in self._readers:
            reader.join(10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def json_logs(lines: list[str], logger: str | None = None) -> list[dict[str, Any]]:
    """The JSON log entries among ``lines`` (of ``logger`` when given); other lines are skipped."""
    found = []
    for line in list(lines):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and (logger is None or entry.get("logger") == logger):
            found.append(entry)
    return found
