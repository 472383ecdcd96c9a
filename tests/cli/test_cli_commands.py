"""`comptoir seed-demo` and `comptoir create-user`, run in-process on a temporary data folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from comptoir.adapters.db.engine import make_engine
from comptoir.adapters.db.uow import sql_unit_of_work_factory
from comptoir.adapters.security import Argon2PasswordHasher
from comptoir.cli import app
from comptoir.domain.actors import Role
from comptoir.records.shop import Shop
from comptoir.services import accounts


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    result = CliRunner().invoke(app, ["db", "upgrade", "--data", str(tmp_path)], env={"COMPTOIR_DATABASE_URL": None})
    assert result.exit_code == 0, result.output
    return tmp_path


def _invoke(*args: str, data_dir: Path, input: str | None = None) -> tuple[int, str]:
    env = {"COMPTOIR_DATA_DIR": str(data_dir), "COMPTOIR_DATABASE_URL": None}
    result = CliRunner().invoke(app, list(args), env=env, input=input)
    return result.exit_code, result.output


def _add_shops(data_dir: Path, *slugs: str) -> None:
    engine = make_engine(f"sqlite:///{data_dir / 'comptoir.sqlite3'}")
    try:
        with sql_unit_of_work_factory(engine)() as uow:
            for slug in slugs:
                uow.shops.add(Shop(slug=slug, name=slug, currency="EUR"))
            uow.commit()
    finally:
        engine.dispose()


def _login(data_dir: Path, email: str, password: str) -> accounts.UserView:
    engine = make_engine(f"sqlite:///{data_dir / 'comptoir.sqlite3'}")
    try:
        return accounts.authenticate(sql_unit_of_work_factory(engine)(), Argon2PasswordHasher(), email, password)
    finally:
        engine.dispose()


def test_seed_demo_says_what_it_created_and_a_second_run_creates_nothing(data_dir: Path) -> None:
    # when
    first_code, first = _invoke("seed-demo", data_dir=data_dir)
    second_code, second = _invoke("seed-demo", data_dir=data_dir)
    # then
    assert (first_code, second_code) == (0, 0)
    assert "shops: 2 created" in first
    assert "+ porsche-accessories/Jantes 911 Turbo" in first
    assert "customer  client@example.com / motdepasse123" in first
    assert "shops: 0 created, 2 already there" in second
    assert "users: 0 created, 4 already there" in second


def test_create_user_makes_a_merchant_of_several_shops_with_a_prompted_password(data_dir: Path) -> None:
    # given
    _add_shops(data_dir, "klikandgo", "porsche-accessories")
    # when the password is typed at the prompt (twice)
    code, output = _invoke(
        "create-user", "--email", "Chef@Example.com", "--role", "merchant", "--shop", "klikandgo", "--shop",
        "porsche-accessories", data_dir=data_dir, input="s3cret-pass\ns3cret-pass\n",
    )  # fmt: skip
    # then
    assert code == 0, output
    assert "created merchant chef@example.com" in output
    user = _login(data_dir, "chef@example.com", "s3cret-pass")
    assert user.role is Role.MERCHANT
    assert len(user.shop_ids) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "merchant"], "shop_required"),
        (["--role", "merchant", "--shop", "nowhere"], "shop_not_found"),
        (["--role", "customer", "--shop", "klikandgo"], "shops_not_allowed"),
        (["--role", "admin", "--password", "short"], "password_too_short"),
    ],
)
def test_create_user_explains_what_it_refuses(data_dir: Path, args: list[str], message: str) -> None:
    if "--password" not in args:
        args = [*args, "--password", "long-enough-1"]
    code, output = _invoke("create-user", "--email", "x@example.com", *args, data_dir=data_dir)
    assert code == 1
    assert message in output


def test_seeding_an_unmigrated_database_says_to_run_db_upgrade(tmp_path: Path) -> None:
    code, output = _invoke("seed-demo", data_dir=tmp_path)
    assert code == 1
    assert "run `comptoir db upgrade` first" in output


def test_demo_order_places_a_pay_at_pickup_order_the_butchers_board_rings_for(data_dir: Path) -> None:
    # given the demo seeded
    assert _invoke("seed-demo", data_dir=data_dir)[0] == 0
    # when a demo order is placed from the command line
    code, output = _invoke("demo-order", "--note", "samedi 9h", data_dir=data_dir)
    # then it says which order, the customer's code and where the board is
    assert code == 0, output
    number = output.split()[1]
    assert "the customer's pickup code: " in output and "/merchant (boucher@example.com)" in output
    # and the butcher has a confirmed pay-at-pickup order, priced from the database (24.68 + 6.90)
    engine = make_engine(f"sqlite:///{data_dir / 'comptoir.sqlite3'}")
    try:
        with sql_unit_of_work_factory(engine)() as uow:
            (order,) = [o for o in uow.merchant.list_orders(None, status=None, limit=10, before=None)]
            assert (order.number, order.status, order.payment_method, order.total) == (
                number,
                "confirmed",
                "on_pickup",
                2468 + 690,
            )
            assert order.pickup == {"note": "samedi 9h"} and order.pickup_code is not None
            assert order.pickup_code in output
    finally:
        engine.dispose()


def test_demo_order_without_the_demo_says_to_seed_it(data_dir: Path) -> None:
    code, output = _invoke("demo-order", data_dir=data_dir)
    assert code != 0 and "comptoir seed-demo" in output
