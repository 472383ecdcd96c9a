#!/usr/bin/env python3
"""Fuzz the shop's HTTP API with schemathesis, as the demo customer and as a demo merchant.

    .venv/bin/python bench/fuzz_api.py [--max-examples 200] [--seed N] [--role customer|merchant]
                                       [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Starts the shop and the Stripe sandbox as real servers on 127.0.0.1 (the test suite's e2e
stack) over a fresh database seeded with the demo data (SQLite in a temporary folder, or a new
PostgreSQL database on --postgres-url, dropped at the end), then runs `schemathesis run` against
the shop's /openapi.json once per role, with the checks `not_a_server_error` (no 5xx) and
`status_code_conformance` (every status answered is documented). Prints schemathesis' own report,
then one summary line per role. Exits 1 when a run found a failure.

The in-suite run (tests/api/test_api_fuzz.py) does the same with few examples per operation;
this one is for longer explorations.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from tests.api.fuzzing import CHECKS, ROLES, STREAMS, fuzz_target  # noqa: E402

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def run_schemathesis(
    schema_url: str,
    headers: dict[str, str],
    excluded: frozenset[str],
    max_examples: int,
    seed: int | None,
    workdir: Path,
) -> tuple[int, str]:
    """One `schemathesis run` (its cache goes to `workdir`); its report is printed, and its summary line returned."""
    command = [
        str(SCHEMATHESIS),
        "run",
        schema_url,
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(max_examples),
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
        *(["--seed", str(seed)] if seed is not None else []),
    ]
    for path in sorted(excluded):
        command += ["--exclude-path", path]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    process = subprocess.run(command, capture_output=True, text=True, check=False, cwd=workdir)
    print(process.stdout, process.stderr, sep="\n")
    lines = [line.strip("= ") for line in process.stdout.splitlines() if " in " in line and line.startswith("=")]
    return process.returncode, (lines[-1] if lines else "(no summary line)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=200, help="examples per operation (default 200)")
    parser.add_argument("--seed", type=int, default=None, help="schemathesis' random seed, to repeat a run")
    parser.add_argument("--role", choices=ROLES, action="append", help="only this role (repeatable)")
    parser.add_argument("--postgres-url", default=None, help="fuzz on a new database on this PostgreSQL server")
    args = parser.parse_args(argv)
    if not 1 <= args.max_examples <= 100_000:
        parser.error("--max-examples must be 1..100000")
    roles = args.role or list(ROLES)
    summaries: list[tuple[str, int, str]] = []
    with tempfile.TemporaryDirectory(prefix="comptoir-fuzz-") as tmp:
        database_url, drop = _database(args.postgres_url)
        try:
            with fuzz_target(Path(tmp), database_url) as target:
                for name in ("comptoir", "httpx", "stripe", "uvicorn.error"):
                    logging.getLogger(name).setLevel(logging.WARNING)  # one line per request would bury the report
                for role in roles:
                    print(f"--- schemathesis as the demo {role} against {target.schema_url}", flush=True)
                    excluded = STREAMS.get(role, frozenset())
                    code, summary = run_schemathesis(
                        target.schema_url, target.headers(role), excluded, args.max_examples, args.seed, Path(tmp)
                    )
                    summaries.append((role, code, summary))
        finally:
            drop()
    for role, code, summary in summaries:
        print(f"{role:>8}: {summary} (exit {code})")
    return 1 if any(code for _, code, _ in summaries) else 0


def _database(postgres_url: str | None):
    """(URL, drop) of the database to fuzz: None means a SQLite file of the target's own."""
    if not postgres_url:
        return None, lambda: None
    name = f"comptoir_fuzz_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(postgres_url).set(database=name).render_as_string(hide_password=False), drop


if __name__ == "__main__":
    sys.exit(main())
