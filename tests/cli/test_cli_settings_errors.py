"""What an operator sees when the configuration is wrong: one `error:` line naming the setting, exit 2.

Run in-process (typer's CliRunner) on a temporary data folder: every refusal here happens before
anything listens or migrates, so no server is started.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from comptoir.cli import app

LONG_SECRET = "a-jwt-secret-of-forty-eight-bytes-0123456789abcd"


def _invoke(*args: str, data_dir: Path, **env: str) -> tuple[int, str, BaseException | None]:
    unset = dict.fromkeys(("COMPTOIR_DATABASE_URL", "COMPTOIR_JWT_SECRET", "COMPTOIR_DEV", "STRIPE_SECRET_KEY"))
    result = CliRunner().invoke(app, list(args), env={**unset, "COMPTOIR_DATA_DIR": str(data_dir), **env})
    exception = result.exception if not isinstance(result.exception, SystemExit) else None
    return result.exit_code, result.output, exception


def _one_error_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    return lines[0]


@pytest.mark.parametrize(
    ("env", "phrases"),
    [
        ({"COMPTOIR_HOLD_MINUTES": "5"}, ["COMPTOIR_HOLD_MINUTES=5", "greater than or equal to 30", "1440"]),
        ({"COMPTOIR_DATABASE_URL": "not a url"}, ["COMPTOIR_DATABASE_URL", "not a database URL", "sqlite:///"]),
        (
            {"COMPTOIR_DATABASE_URL": "mysql://shop:hunter2@db/shop"},
            ["COMPTOIR_DATABASE_URL", "mysql:// is not supported", "postgresql+psycopg://"],
        ),
        (
            {"COMPTOIR_DATABASE_URL": "postgresql+psycopg://postgres:hunter2@127.0.0.1:1/comptoir"},
            ["cannot reach the database", "127.0.0.1:1", "COMPTOIR_DATABASE_URL"],
        ),
    ],
    ids=["hold-minutes", "malformed-url", "unsupported-database", "unreachable-postgresql"],
)
def test_db_upgrade_names_the_wrong_setting_in_one_line(
    tmp_path: Path, env: dict[str, str], phrases: list[str]
) -> None:
    # when
    code, output, exception = _invoke("db", "upgrade", data_dir=tmp_path, **env)
    # then one line, no traceback, and no password repeated
    assert (code, exception) == (2, None), output
    line = _one_error_line(output)
    for phrase in phrases:
        assert phrase in line
    assert "hunter2" not in line


def test_db_upgrade_says_what_it_did_on_an_empty_folder_then_that_it_is_up_to_date(tmp_path: Path) -> None:
    # when run twice on an empty folder
    first_code, first, _ = _invoke("db", "upgrade", data_dir=tmp_path / "new")
    second_code, second, _ = _invoke("db", "upgrade", data_dir=tmp_path / "new")
    # then the first run created the database and says so; only the second finds nothing to do
    assert (first_code, second_code) == (0, 0)
    assert first.startswith("database created: ") and "migrations applied" in first, first
    assert "up to date" not in first
    assert second.startswith("database is up to date"), second


@pytest.mark.parametrize(
    ("env", "phrases"),
    [
        ({}, ["COMPTOIR_JWT_SECRET", "unset"]),
        ({"COMPTOIR_JWT_SECRET": "short-but-not-a-placeholder"}, ["COMPTOIR_JWT_SECRET", "at least 32"]),
        ({"COMPTOIR_JWT_SECRET": LONG_SECRET}, ["STRIPE_SECRET_KEY is not set", "--sandbox"]),
        (
            {"COMPTOIR_JWT_SECRET": LONG_SECRET, "STRIPE_SECRET_KEY": "pk_test_publishable"},
            ["STRIPE_SECRET_KEY", "sk_test_", "sk_live_", "rk_"],
        ),
        (
            {
                "COMPTOIR_JWT_SECRET": LONG_SECRET,
                "STRIPE_SECRET_KEY": "sk_live_a_real_key",
                "COMPTOIR_STRIPE_API_BASE": "http://127.0.0.1:12111",
            },
            ["live key", "COMPTOIR_STRIPE_API_BASE", "http://127.0.0.1:12111"],
        ),
    ],
    ids=["no-jwt-secret", "short-jwt-secret", "no-stripe-key", "publishable-key", "live-key-to-a-sandbox"],
)
def test_serve_outside_dev_mode_refuses_an_unsafe_start_in_one_line(
    tmp_path: Path, env: dict[str, str], phrases: list[str]
) -> None:
    # when `comptoir serve` (no --dev) starts with this configuration
    code, output, exception = _invoke("serve", "--port", "0", data_dir=tmp_path, **env)
    # then it stops before anything runs, naming what to set
    assert (code, exception) == (2, None), output
    line = _one_error_line(output)
    for phrase in phrases:
        assert phrase in line
    assert "sk_live_a_real_key" not in line
    assert not (tmp_path / "embedded-sandbox.json").exists()


@pytest.mark.parametrize(
    "storage",
    [
        "foo://cache",
        "redis://:hunter2@[::1",
        "redis://:hunter2@cache:sixthousand",
        "async+memory://",
        "memcached://cache:11211",
    ],
    ids=["unknown-scheme", "malformed-address", "malformed-port", "asynchronous", "client-not-installed"],
)
def test_serve_refuses_a_rate_limit_storage_it_cannot_count_in_with_one_line(tmp_path: Path, storage: str) -> None:
    # when `comptoir serve --dev` starts with this storage for its login limits
    code, output, exception = _invoke(
        "serve", "--dev", "--port", "0", data_dir=tmp_path, COMPTOIR_RATE_LIMIT_STORAGE=storage
    )
    # then it stops before anything runs, naming the setting and what it accepts, never the password
    assert (code, exception) == (2, None), output
    line = _one_error_line(output)
    for phrase in ("COMPTOIR_RATE_LIMIT_STORAGE", "memory://", "database", "redis://host:6379"):
        assert phrase in line
    assert "hunter2" not in line
    assert not (tmp_path / "embedded-sandbox.json").exists()


@pytest.mark.parametrize("args", [["serve", "--help"], ["events", "replay", "--help"], ["--help"]])
def test_help_shows_flags_without_a_value(args: list[str]) -> None:
    # when
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200", "NO_COLOR": "1"})
    # then a flag reads `--dev`, not `--dev <bool>`, while options that take a value keep their type
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert "--help" in result.output
    if args[0] == "serve":
        assert "--dev" in result.output and "--sandbox" in result.output
        assert "<int>" in result.output  # --port still says what it takes


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("", "not JSON"),
        ('{"api_base": "http://127.0.0.1:12111", "secret_', "not JSON"),
        ('["http://127.0.0.1:12111"]', "not a JSON object"),
        ('{"api_base": "http://127.0.0.1:12111", "secret_key": "sk_test_x"}', "publishable_key, webhook_secret"),
    ],
    ids=["empty", "cut-short", "not-an-object", "missing-keys"],
)
@pytest.mark.parametrize("command", [["reconcile"], ["worker"], ["events", "replay", "--failed"]], ids=" ".join)
def test_a_payment_command_on_a_damaged_embedded_sandbox_file_says_how_to_rewrite_it(
    tmp_path: Path, command: list[str], content: str, why: str
) -> None:
    # given no Stripe key, and the file `serve` keeps its embedded sandbox in left damaged
    (tmp_path / "embedded-sandbox.json").write_text(content)
    # when
    code, output, exception = _invoke(*command, data_dir=tmp_path)
    # then one line naming the file, what is wrong and what to do; no traceback
    assert (code, exception) == (2, None), output
    line = _one_error_line(output)
    for phrase in (str(tmp_path / "embedded-sandbox.json"), why, "comptoir serve --dev", "--sandbox"):
        assert phrase in line
    assert "STRIPE_SECRET_KEY" in line


def test_reconcile_with_no_stripe_key_and_no_embedded_sandbox_says_what_to_set_or_run(tmp_path: Path) -> None:
    # given a migrated folder, no Stripe key, and no `serve` ever embedded a sandbox here
    assert _invoke("db", "upgrade", data_dir=tmp_path)[0] == 0
    # when
    code, output, exception = _invoke("reconcile", data_dir=tmp_path)
    # then each refused call names the setting and both commands that would give it a sandbox
    assert (code, exception) == (1, None), output
    errors = [line for line in output.splitlines() if "error:" in line]
    assert errors, output
    for line in errors:
        for phrase in ("STRIPE_SECRET_KEY", "comptoir serve --dev", "comptoir serve --sandbox"):
            assert phrase in line
