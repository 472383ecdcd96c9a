"""The pickup code: four random digits, compared ignoring spaces."""

from __future__ import annotations

from comptoir.domain import pickup_code


def test_a_new_code_is_four_digits_and_codes_differ() -> None:
    codes = {pickup_code.new_code() for _ in range(200)}
    assert all(len(code) == 4 and code.isdigit() for code in codes)
    assert len(codes) > 150  # random, not a constant or a counter's few values


def test_the_code_matches_what_the_customer_says_with_or_without_spaces() -> None:
    assert pickup_code.matches("0427", "0427")
    assert pickup_code.matches("0427", " 04 27 ")


def test_another_code_or_a_prefix_does_not_match() -> None:
    assert not pickup_code.matches("0427", "0428")
    assert not pickup_code.matches("0427", "042")
    assert not pickup_code.matches("0427", "04270")
    assert not pickup_code.matches("0427", "")
