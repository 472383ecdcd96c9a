"""`comptoir create-shop`, and a merchant bound to the shop it made, run in-process on a temporary data folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from comptoir.cli import app


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    result = CliRunner().invoke(app, ["db", "upgrade", "--data", str(tmp_path)], env={"COMPTOIR_DATABASE_URL": None})
    assert result.exit_code == 0, result.output
    return tmp_path


def _invoke(*args: str, data_dir: Path) -> tuple[int, str]:
    env = {"COMPTOIR_DATA_DIR": str(data_dir), "COMPTOIR_DATABASE_URL": None, "COMPTOIR_TIME_ZONE": "Europe/Paris"}
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_a_shop_made_on_the_command_line_takes_a_merchant(data_dir: Path) -> None:
    # given a new shop that weighs its goods
    code, output = _invoke(
        "create-shop", "--slug", "boucherie-dupont", "--name", "Boucherie Dupont", "--pay-at-pickup",
        "--capture-manually", "--capture-margin", "15", "--time-zone", "Europe/Brussels", data_dir=data_dir,
    )  # fmt: skip
    assert code == 0, output
    assert "created shop boucherie-dupont" in output
    assert "Boucherie Dupont, EUR, Europe/Brussels" in output
    assert "paid online or at pickup; weighed goods captured later (margin 15%)" in output

    # when its merchant is created
    code, output = _invoke(
        "create-user", "--email", "dupont@example.com", "--role", "merchant", "--shop", "boucherie-dupont",
        "--password", "correct horse", data_dir=data_dir,
    )  # fmt: skip

    # then the account is bound to it
    assert code == 0, output
    assert "created merchant dupont@example.com" in output


def test_create_shop_takes_the_configured_time_zone_by_default(data_dir: Path) -> None:
    code, output = _invoke("create-shop", "--slug", "fromagerie", "--name", "Fromagerie", data_dir=data_dir)

    assert code == 0, output
    assert "Fromagerie, EUR, Europe/Paris" in output
    assert "pickup; paid online" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--slug", "Boucherie Dupont", "--name", "x"], "error (invalid_shop_settings): 'Boucherie Dupont' is not"),
        (["--slug", "b", "--name", "x", "--time-zone", "Mars/Olympus"], "time_zone: unknown_time_zone"),
        (["--slug", "b", "--name", "x", "--capture-margin", "80"], "capture_margin_percent: out_of_range"),
        (["--slug", "b", "--name", "x", "--no-pickup"], "offers_pickup: pickup_or_delivery"),
        (["--slug", "b", "--name", "x", "--no-online"], "accepts_online: online_or_at_pickup"),
        (["--slug", "b", "--name", "x", "--currency", "EURO"], "currency: unknown_currency"),
        (["--slug", "b", "--name", "  "], "name: required"),
    ],
)
def test_create_shop_explains_what_it_refuses(data_dir: Path, args: list[str], message: str) -> None:
    code, output = _invoke("create-shop", *args, data_dir=data_dir)

    assert code == 1
    assert message in output


def test_a_slug_is_taken_once(data_dir: Path) -> None:
    # given a shop
    assert _invoke("create-shop", "--slug", "primeur", "--name", "Primeur", data_dir=data_dir)[0] == 0

    # when a second one asks for its slug
    code, output = _invoke("create-shop", "--slug", "primeur", "--name", "Autre", data_dir=data_dir)

    # then it is refused
    assert code == 1
    assert "error (slug_taken): a shop already has the slug 'primeur'" in output


def test_create_shop_help_lists_its_options() -> None:
    result = CliRunner().invoke(app, ["create-shop", "--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0
    for option in ("--slug", "--name", "--time-zone", "--capture-margin", "--slot-minutes", "--pay-at-pickup"):
        assert option in result.output
