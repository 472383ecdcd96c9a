"""`records.metadata` names every module that holds tables, so Alembic sees the whole schema."""

from __future__ import annotations

import importlib
import pkgutil

import comptoir.records
from comptoir.records.base import Base
from comptoir.records.metadata import TABLE_MODULES


def test_every_module_with_tables_is_listed_in_the_metadata_module() -> None:
    # given every module of the records package, imported
    names = [f"comptoir.records.{m.name}" for m in pkgutil.iter_modules(comptoir.records.__path__)]
    modules = [importlib.import_module(name) for name in names]
    # when we keep those that define a table class
    with_tables = {module.__name__ for module in modules if _defines_a_table(module)}
    # then the metadata module imports each of them
    assert with_tables == {module.__name__ for module in TABLE_MODULES}


def _defines_a_table(module: object) -> bool:
    own = [v for v in vars(module).values() if isinstance(v, type) and v.__module__ == module.__name__]  # type: ignore[attr-defined]
    return any(issubclass(v, Base) and v is not Base for v in own)
