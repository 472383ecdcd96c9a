"""What the login limits count by: the email as an account, the address (an IPv6 client by its /64)."""

from __future__ import annotations

import pytest

from comptoir.services.login_guard import account_key, address_key


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("testclient", "testclient"),
    ],
)
def test_an_address_is_counted_by_what_one_client_holds(address: str, key: str) -> None:
    # when an address becomes a key, then every address of one IPv6 /64 shares it, and IPv4 stays itself
    assert address_key(address) == key


def test_an_account_is_counted_by_its_email_however_it_is_typed() -> None:
    # when the same email is typed with capitals and spaces, then it is one account's count
    assert account_key("  Boucher@Example.COM ") == account_key("boucher@example.com")
