"""Signature header and fault plan, checked without a server."""

from __future__ import annotations

import time

import pytest
import stripe

from comptoir.sandbox.faults import FaultError, FaultPlan, Faults, parse_delay
from comptoir.sandbox.signing import new_secret, signature_header

BODY = '{"id":"evt_1","object":"event","type":"customer.created"}'


def test_header_verifies_with_the_official_sdk_for_each_active_secret() -> None:
    # given two active secrets (a roll in progress)
    old, new = new_secret(), new_secret()
    # when a body is signed now
    header = signature_header(BODY, [new, old], timestamp=int(time.time()))
    # then each secret alone verifies it, and the header has one v1 per secret
    assert header.count("v1=") == 2
    for secret in (old, new):
        assert stripe.Webhook.construct_event(BODY, header, secret).id == "evt_1"


def test_a_wrong_secret_or_an_old_timestamp_fails_verification() -> None:
    secret = new_secret()
    now = int(time.time())
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(BODY, signature_header(BODY, [secret], now), new_secret())
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(BODY, signature_header(BODY, [secret], now - 301), secret)


def test_secrets_look_like_stripe_ones() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and len(secret) == 38 and secret != new_secret()


def test_the_same_seed_draws_the_same_decisions() -> None:
    # given two plans with the same seed and faults
    faults = Faults(duplicate=0.5, drop=0.2, delay=(0.0, 1.0), seed=7)
    first, second = FaultPlan(faults), FaultPlan(faults)
    # when both decide for the same sequence of deliveries
    draws_a = [first.decide() for _ in range(50)]
    draws_b = [second.decide() for _ in range(50)]
    # then the decisions are identical, and each fault occurs at least once
    assert draws_a == draws_b
    assert any(d.drop for d in draws_a) and any(d.duplicate for d in draws_a)
    assert len({d.delay for d in draws_a if not d.drop}) > 1


def test_no_faults_means_no_drop_no_duplicate_no_delay() -> None:
    plan = FaultPlan(Faults(seed=1))
    assert all(not d.drop and not d.duplicate and d.delay == 0 for d in (plan.decide() for _ in range(20)))


@pytest.mark.parametrize(
    "value, expected", [(2, (2.0, 2.0)), ("1.5", (1.5, 1.5)), ("1-5", (1.0, 5.0)), ([0, 3], (0.0, 3.0))]
)
def test_delay_accepts_a_number_or_a_range(value: object, expected: tuple[float, float]) -> None:
    assert parse_delay(value) == expected


@pytest.mark.parametrize(
    "data",
    [{"duplicate": 1.5}, {"drop": -0.1}, {"delay": "5-1"}, {"reorder_window": -1}, {"duplicat": 0.5}, {"seed": "x"}],
)
def test_unusable_fault_settings_are_refused(data: dict) -> None:
    with pytest.raises(FaultError):
        Faults.from_dict(data)


def test_faults_round_trip_through_json_shapes() -> None:
    faults = Faults.from_dict({"duplicate": 0.25, "delay": [1, 2], "reorder_window": 4, "seed": 3})
    assert Faults.from_dict(faults.to_dict()) == faults
