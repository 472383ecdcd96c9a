"""The committed ``expandable_fields.py`` is exactly what the committed script makes of Stripe's spec."""

from __future__ import annotations

import pytest

from comptoir.sandbox.tools import gen_expandable


def test_the_committed_table_equals_the_generators_output_from_the_spec() -> None:
    # given Stripe's OpenAPI spec on this machine (skipped where there is no copy)
    path = gen_expandable.spec_path()
    if path is None or not path.is_file():
        pytest.skip("Stripe's spec3_2023-09.yaml is not on this machine (set COMPTOIR_STRIPE_SPEC)")
    # when the script renders the table
    rendered = gen_expandable.render(gen_expandable.load_spec(path))
    # then it is the committed module, byte for byte
    assert gen_expandable.TARGET.read_text(encoding="utf-8") == rendered


def test_every_object_type_the_sandbox_serves_has_an_entry() -> None:
    from comptoir.sandbox.expandable_fields import EXPANDABLE

    assert set(gen_expandable.SERVED) <= set(EXPANDABLE)
    assert EXPANDABLE["event"] == {"data": None, "request": None}
