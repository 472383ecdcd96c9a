"""The README's curl session, read from README.md itself and replayed in one shell, in order.

Each ```console block holds commands (`$ ` lines, continued while a quote is open or a line ends
with a backslash) and the output shown under them. The commands run as written in one `bash`, so
what one sets (`TOKEN=…`, `ORDER=…`) is there for the next, with only the documented address
swapped for the server under test. An output shown in the README is "real, shortened with …": the
stable facts it shows (statuses, codes, amounts, currency) must all be in the real output.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
DOCUMENTED_URL = "http://127.0.0.1:8000"
SESSION_HEADINGS = ("## A session with curl", "## Paying")
FACTS = re.compile(r'"(status|payment_status|code|total|currency|token_type|role|email)":("[^"]*"|-?\d+)')
KEY = re.compile(r'"([a-z_]+)":')
_CONSOLE = re.compile(r"```console\n(.*?)```", re.S)


@dataclass(frozen=True)
class Step:
    command: str
    shown: str  # the output the README shows under the command ("" when it shows none)

    def untrue_in(self, output: str) -> list[str]:
        """What the shown output claims that `output` does not bear out (empty when it is true)."""
        wrong = [f"{key}={value}" for key, value in sorted(set(FACTS.findall(self.shown)) - set(FACTS.findall(output)))]
        actual_keys = iter(KEY.findall(output))
        if not all(key in actual_keys for key in KEY.findall(self.shown)):
            wrong.append(f"the fields shown, in order: {KEY.findall(self.shown)}")
        return wrong


def session_steps(readme: Path = README) -> list[Step]:
    """The commands of the README's session sections, in the order a reader pastes them."""
    text = readme.read_text(encoding="utf-8")
    steps: list[Step] = []
    for heading in SESSION_HEADINGS:
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        for block in _CONSOLE.findall(section):
            steps.extend(_steps_of(block))
    return steps


def _steps_of(block: str) -> list[Step]:
    steps: list[Step] = []
    lines = block.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            i += 1
            continue
        command = lines[i][2:]
        while not _complete(command):
            i += 1
            command += "\n" + lines[i]
        i += 1
        shown: list[str] = []
        while i < len(lines) and lines[i].strip() and not lines[i].startswith("$ "):
            shown.append(lines[i])
            i += 1
        steps.append(Step(command, "\n".join(shown)))
    return steps


def _complete(command: str) -> bool:
    if command.endswith("\\"):
        return False
    try:
        shlex.split(command, comments=True)
    except ValueError:  # a quote still open: the command goes on on the next line
        return False
    return True


def replay(steps: list[Step], base_url: str, *, env: dict[str, str], timeout: float = 60.0) -> list[str]:
    """Run every command in one bash, in order; return each command's output."""
    marker = "=== readme step ==="
    script = "\n".join(f"echo '{marker}'\n{step.command.replace(DOCUMENTED_URL, base_url)}\necho" for step in steps)
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"the README session failed:\n{done.stdout}\n{done.stderr}"
    outputs = [part.strip() for part in done.stdout.split(marker + "\n")[1:]]
    assert len(outputs) == len(steps), done.stdout
    return outputs
