"""One scenario list, run against `FakeGateway` and against the real sandbox over HTTP through the
real `StripeGateway` (the official SDK), so the fake the service tests lean on cannot drift from
what the sandbox (and so Stripe, per docs/../stripe-facts) answers.

Each scenario speaks only the `PaymentGateway` port plus what the buyer does in the browser
(pay a hosted session, pass or fail 3-D Secure), which each side provides its own way.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from comptoir.adapters.stripe_gateway import StripeGateway
from comptoir.domain.errors import PaymentRequired, UpstreamUnavailable
from comptoir.domain.payment_messages import FOR_CUSTOMERS
from comptoir.services.payment_gateway import (
    CheckoutLine,
    CheckoutRequest,
    CheckoutSession,
    IdempotencyKeyReused,
    PaymentGateway,
    PaymentIntent,
    PaymentIntentRequest,
    PaymentIntentUnexpectedState,
    ProviderObjectMissing,
)
from tests.fakes import FakeGateway
from tests.support.sandbox import API_KEY, RunningSandbox, start_sandbox

EXPIRES_IN = 3600
"""Seconds a test's session stays open: within Stripe's 30 minutes to 24 hours, beyond any test."""
_numbers = itertools.count(1)


class Provider(Protocol):
    """A gateway and the buyer's hand on the provider's pages."""

    gateway: PaymentGateway

    def pay_session(self, session_id: str) -> CheckoutSession: ...

    def complete_3ds(self, payment_intent_id: str) -> None: ...

    def fail_3ds(self, payment_intent_id: str) -> None: ...


class FakeProvider:
    def __init__(self) -> None:
        self.gateway = FakeGateway()

    def pay_session(self, session_id: str) -> CheckoutSession:
        return self.gateway.pay(session_id)

    def complete_3ds(self, payment_intent_id: str) -> None:
        self.gateway.complete_3ds(payment_intent_id)

    def fail_3ds(self, payment_intent_id: str) -> None:
        self.gateway.fail_3ds(payment_intent_id)


class SandboxProvider:
    def __init__(self, running: RunningSandbox) -> None:
        self.running = running
        self.gateway = StripeGateway(API_KEY, [], api_base=running.base_url, max_network_retries=0)

    def pay_session(self, session_id: str) -> CheckoutSession:
        self.running.sandbox.complete_checkout_with_payment_method(session_id, "pm_card_visa")
        return self.gateway.retrieve_checkout_session(session_id)

    def complete_3ds(self, payment_intent_id: str) -> None:
        self.running.sandbox.complete_3ds(payment_intent_id)

    def fail_3ds(self, payment_intent_id: str) -> None:
        self.running.sandbox.fail_3ds(payment_intent_id)


@pytest.fixture(scope="module")
def running_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    instance = start_sandbox(Path(tmp_path_factory.mktemp("contract-sandbox")))
    yield instance
    instance.stop()


@pytest.fixture(params=["fake", "sandbox"])
def provider(request: pytest.FixtureRequest) -> Provider:
    if request.param == "fake":
        return FakeProvider()
    return SandboxProvider(request.getfixturevalue("running_sandbox"))


def _key(what: str) -> str:
    """A key no other test (nor an earlier run against the same sandbox) has used."""
    return f"contract:{uuid.uuid4().hex}:{what}"


def _checkout_request(*, quantity: int = 2, capture_manually: bool = False) -> CheckoutRequest:
    """A session request for two (or ``quantity``) pieces at 25.00; the sandbox's clock is the wall clock."""
    order_id = f"ord_contract_{next(_numbers)}"
    return CheckoutRequest(
        order_id=order_id,
        currency="EUR",
        lines=(CheckoutLine("Entrecôte", 2500, quantity),),
        success_url="http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://shop.test/checkout/cancel",
        expires_at=int(time.time()) + EXPIRES_IN,
        capture_manually=capture_manually,
        metadata={"capture": "manual"} if capture_manually else {},
    )


def _intent_request(amount: int = 5000, *, capture_manually: bool = False) -> PaymentIntentRequest:
    return PaymentIntentRequest(
        order_id=f"ord_contract_{next(_numbers)}", amount=amount, currency="EUR", capture_manually=capture_manually
    )


def _confirmed(provider: Provider, card: str, *, amount: int = 5000, capture_manually: bool = False) -> PaymentIntent:
    intent = provider.gateway.create_payment_intent(
        _intent_request(amount, capture_manually=capture_manually), idempotency_key=_key("intent")
    )
    return provider.gateway.confirm_payment_intent(intent.id, payment_method=card, idempotency_key=_key("confirm"))


def _paid_session(provider: Provider) -> CheckoutSession:
    session = provider.gateway.create_checkout_session(_checkout_request(), idempotency_key=_key("checkout"))
    return provider.pay_session(session.id)


# --- Checkout Sessions ------------------------------------------------------------------------------


def test_a_new_checkout_session_is_open_unpaid_and_priced_from_its_lines(provider: Provider) -> None:
    # given an order of two lines at 25.00
    request = _checkout_request()
    # when a session is created for it
    session = provider.gateway.create_checkout_session(request, idempotency_key=_key("checkout"))
    # then it is open, unpaid, for 50.00 EUR, names the order, and has no PaymentIntent yet
    assert (session.status, session.payment_status, session.amount_total, session.currency) == (
        "open",
        "unpaid",
        5000,
        "EUR",
    )
    assert (session.order_id, session.client_reference_id) == (request.order_id, request.order_id)
    assert session.payment_intent_id is None
    assert session.url and session.expires_at == request.expires_at
    assert session.id.startswith("cs_test_")
    assert session.capture_manually is False


def test_retrieving_a_session_gives_back_what_creating_it_answered(provider: Provider) -> None:
    created = provider.gateway.create_checkout_session(_checkout_request(), idempotency_key=_key("checkout"))
    assert provider.gateway.retrieve_checkout_session(created.id) == created


def test_a_manual_capture_session_says_so(provider: Provider) -> None:
    """The service marks it in the metadata (as checkout.start_checkout does); the session reads it back."""
    session = provider.gateway.create_checkout_session(
        _checkout_request(capture_manually=True), idempotency_key=_key("checkout")
    )
    assert session.capture_manually is True


def test_the_same_key_and_request_replay_the_same_session(provider: Provider) -> None:
    request, key = _checkout_request(), _key("checkout")
    first = provider.gateway.create_checkout_session(request, idempotency_key=key)
    assert provider.gateway.create_checkout_session(request, idempotency_key=key).id == first.id


def test_the_same_key_with_another_request_is_refused_as_our_bug(provider: Provider) -> None:
    key = _key("checkout")
    provider.gateway.create_checkout_session(_checkout_request(quantity=2), idempotency_key=key)
    with pytest.raises(IdempotencyKeyReused):
        provider.gateway.create_checkout_session(_checkout_request(quantity=3), idempotency_key=key)


def test_an_open_session_expires_and_an_expired_one_cannot_expire_again(provider: Provider) -> None:
    session = provider.gateway.create_checkout_session(_checkout_request(), idempotency_key=_key("checkout"))
    expired = provider.gateway.expire_checkout_session(session.id, idempotency_key=_key("expire"))
    assert (expired.status, expired.payment_status) == ("expired", "unpaid")
    assert provider.gateway.retrieve_checkout_session(session.id).status == "expired"
    with pytest.raises(UpstreamUnavailable) as refused:
        provider.gateway.expire_checkout_session(session.id, idempotency_key=_key("expire"))
    assert refused.value.code == "provider_refused"


def test_a_paid_session_cannot_expire(provider: Provider) -> None:
    session = _paid_session(provider)
    with pytest.raises(UpstreamUnavailable) as refused:
        provider.gateway.expire_checkout_session(session.id, idempotency_key=_key("expire"))
    assert refused.value.code == "provider_refused"


def test_a_paid_session_is_complete_and_paid_through_a_succeeded_intent(provider: Provider) -> None:
    session = _paid_session(provider)
    assert (session.status, session.payment_status, session.amount_total) == ("complete", "paid", 5000)
    assert session.payment_intent_id is not None
    assert provider.gateway.payment_intent_status(session.payment_intent_id) == "succeeded"
    intent = provider.gateway.retrieve_payment_intent(session.payment_intent_id)
    assert (intent.status, intent.amount_received, intent.order_id) == ("succeeded", 5000, session.order_id)


def test_an_unknown_session_is_a_missing_provider_object(provider: Provider) -> None:
    with pytest.raises(ProviderObjectMissing):
        provider.gateway.retrieve_checkout_session("cs_test_nothing_by_this_name")


# --- PaymentIntents confirmed on the server -----------------------------------------------------------


def test_a_new_intent_waits_for_a_payment_method(provider: Provider) -> None:
    request = _intent_request(4200)
    intent = provider.gateway.create_payment_intent(request, idempotency_key=_key("intent"))
    assert (intent.status, intent.amount, intent.currency, intent.capture_method) == (
        "requires_payment_method",
        4200,
        "EUR",
        "automatic",
    )
    assert (intent.amount_received, intent.amount_capturable, intent.order_id) == (0, 0, request.order_id)
    assert intent.id.startswith("pi_") and intent.client_secret and intent.client_secret.startswith(intent.id)
    assert provider.gateway.retrieve_payment_intent(intent.id) == intent


def test_the_same_key_replays_the_intent_and_another_request_under_it_is_refused(provider: Provider) -> None:
    request, key = _intent_request(), _key("intent")
    first = provider.gateway.create_payment_intent(request, idempotency_key=key)
    assert provider.gateway.create_payment_intent(request, idempotency_key=key).id == first.id
    with pytest.raises(IdempotencyKeyReused):
        provider.gateway.create_payment_intent(_intent_request(amount=first.amount + 100), idempotency_key=key)


def test_a_good_card_charges_the_whole_amount(provider: Provider) -> None:
    intent = _confirmed(provider, "pm_card_visa")
    assert (intent.status, intent.amount_received, intent.amount_capturable) == ("succeeded", 5000, 0)
    assert intent.payment_method_id and intent.error_code is None
    assert provider.gateway.payment_intent_status(intent.id) == "succeeded"


@pytest.mark.parametrize(
    ("card", "code", "decline_code", "message"),
    [
        ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline", "Your card was declined."),
        (
            "pm_card_visa_chargeDeclinedInsufficientFunds",
            "card_declined",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card", "Your card has expired."),
    ],
)
def test_a_declined_card_is_payment_required_and_leaves_the_intent_payable(
    provider: Provider, card: str, code: str, decline_code: str, message: str
) -> None:
    # given a new intent
    intent = provider.gateway.create_payment_intent(_intent_request(), idempotency_key=_key("intent"))
    # when a declined card confirms it
    with pytest.raises(PaymentRequired) as declined:
        provider.gateway.confirm_payment_intent(intent.id, payment_method=card, idempotency_key=_key("confirm"))
    # then the decline names its codes, the customer's words and the intent
    error = declined.value
    assert (error.code, error.extra["decline_code"], error.extra["message"]) == (code, decline_code, message)
    assert error.extra["payment_intent_id"] == intent.id
    # and the intent waits for another card, with the decline as its last error
    after = provider.gateway.retrieve_payment_intent(intent.id)
    assert (after.status, after.error_code, after.decline_code) == ("requires_payment_method", code, decline_code)
    assert after.payment_method_id is None
    # and a good card then pays the same intent
    paid = provider.gateway.confirm_payment_intent(intent.id, payment_method="pm_card_visa", idempotency_key=_key("c"))
    assert (paid.id, paid.status, paid.error_code) == (intent.id, "succeeded", None)


def test_a_declined_confirm_replays_the_same_decline_under_its_key(provider: Provider) -> None:
    intent = provider.gateway.create_payment_intent(_intent_request(), idempotency_key=_key("intent"))
    key, declined = _key("confirm"), "pm_card_visa_chargeDeclined"
    with pytest.raises(PaymentRequired) as first:
        provider.gateway.confirm_payment_intent(intent.id, payment_method=declined, idempotency_key=key)
    with pytest.raises(PaymentRequired) as again:
        provider.gateway.confirm_payment_intent(intent.id, payment_method=declined, idempotency_key=key)
    assert (again.value.code, again.value.extra) == (first.value.code, first.value.extra)


def test_a_confirm_replayed_after_success_answers_the_success_again(provider: Provider) -> None:
    intent = provider.gateway.create_payment_intent(_intent_request(), idempotency_key=_key("intent"))
    key = _key("confirm")
    first = provider.gateway.confirm_payment_intent(intent.id, payment_method="pm_card_visa", idempotency_key=key)
    again = provider.gateway.confirm_payment_intent(intent.id, payment_method="pm_card_visa", idempotency_key=key)
    assert (again.id, again.status, again.amount_received) == (first.id, "succeeded", first.amount_received)


def test_confirming_a_succeeded_intent_under_a_new_key_is_an_unexpected_state(provider: Provider) -> None:
    intent = _confirmed(provider, "pm_card_visa")
    with pytest.raises(PaymentIntentUnexpectedState) as refused:
        provider.gateway.confirm_payment_intent(intent.id, payment_method="pm_card_visa", idempotency_key=_key("c"))
    assert refused.value.code == "payment_intent_unexpected_state"


@pytest.mark.parametrize("card", ["pm_card_threeDSecure2Required", "pm_card_authenticationRequired"])
def test_a_3ds_card_requires_action_and_completing_it_charges(provider: Provider, card: str) -> None:
    # when a card that needs 3-D Secure confirms an intent
    intent = _confirmed(provider, card)
    # then the intent waits for the buyer's bank
    assert intent.status == "requires_action" and intent.next_action_type is not None
    assert intent.amount_received == 0
    # when the buyer passes the challenge, the intent is charged
    provider.complete_3ds(intent.id)
    after = provider.gateway.retrieve_payment_intent(intent.id)
    assert (after.status, after.amount_received, after.next_action_type) == ("succeeded", 5000, None)


def test_a_failed_3ds_challenge_returns_the_intent_to_requires_payment_method(provider: Provider) -> None:
    intent = _confirmed(provider, "pm_card_threeDSecure2Required")
    provider.fail_3ds(intent.id)
    after = provider.gateway.retrieve_payment_intent(intent.id)
    assert (after.status, after.error_code, after.payment_method_id) == (
        "requires_payment_method",
        "payment_intent_authentication_failure",
        None,
    )
    assert "payment_intent_authentication_failure" in FOR_CUSTOMERS  # the words the customer then reads


# --- authorise, capture, cancel ---------------------------------------------------------------------


def test_a_manual_intent_is_authorised_and_captured_in_full(provider: Provider) -> None:
    intent = _confirmed(provider, "pm_card_visa", capture_manually=True)
    assert (intent.status, intent.capture_method, intent.amount_capturable, intent.amount_received) == (
        "requires_capture",
        "manual",
        5000,
        0,
    )
    captured = provider.gateway.capture_payment_intent(intent.id, amount_to_capture=5000, idempotency_key=_key("cap"))
    assert (captured.status, captured.amount_received, captured.amount_capturable) == ("succeeded", 5000, 0)


def test_a_partial_capture_takes_only_what_was_weighed(provider: Provider) -> None:
    intent = _confirmed(provider, "pm_card_visa", capture_manually=True)
    key = _key("capture")
    captured = provider.gateway.capture_payment_intent(intent.id, amount_to_capture=4321, idempotency_key=key)
    assert (captured.status, captured.amount_received, captured.amount_capturable) == ("succeeded", 4321, 0)
    # and the capture replays under its key
    again = provider.gateway.capture_payment_intent(intent.id, amount_to_capture=4321, idempotency_key=key)
    assert (again.status, again.amount_received) == ("succeeded", 4321)


def test_capturing_more_than_was_authorised_is_refused_and_leaves_the_hold(provider: Provider) -> None:
    intent = _confirmed(provider, "pm_card_visa", capture_manually=True)
    with pytest.raises(UpstreamUnavailable) as refused:
        provider.gateway.capture_payment_intent(intent.id, amount_to_capture=5001, idempotency_key=_key("cap"))
    assert refused.value.code == "provider_refused"
    assert provider.gateway.retrieve_payment_intent(intent.id).status == "requires_capture"


def test_capturing_an_intent_that_is_not_authorised_is_an_unexpected_state(provider: Provider) -> None:
    intent = _confirmed(provider, "pm_card_visa")
    with pytest.raises(PaymentIntentUnexpectedState):
        provider.gateway.capture_payment_intent(intent.id, amount_to_capture=5000, idempotency_key=_key("cap"))


def test_cancelling_an_authorisation_releases_it(provider: Provider) -> None:
    intent = _confirmed(provider, "pm_card_visa", capture_manually=True)
    canceled = provider.gateway.cancel_payment_intent(intent.id, idempotency_key=_key("cancel"))
    assert (canceled.status, canceled.amount_capturable, canceled.amount_received) == ("canceled", 0, 0)
    assert provider.gateway.payment_intent_status(intent.id) == "canceled"


def test_a_succeeded_intent_cannot_be_cancelled(provider: Provider) -> None:
    intent = _confirmed(provider, "pm_card_visa")
    with pytest.raises(PaymentIntentUnexpectedState):
        provider.gateway.cancel_payment_intent(intent.id, idempotency_key=_key("cancel"))


def test_an_unknown_intent_is_a_missing_provider_object(provider: Provider) -> None:
    with pytest.raises(ProviderObjectMissing):
        provider.gateway.retrieve_payment_intent("pi_nothing_by_this_name")


# --- refunds ----------------------------------------------------------------------------------------


def test_a_full_refund_gives_everything_back(provider: Provider) -> None:
    session = _paid_session(provider)
    assert session.payment_intent_id is not None
    refund = provider.gateway.create_refund(
        session.payment_intent_id, None, "requested_by_customer", {"order_id": "x"}, idempotency_key=_key("refund")
    )
    assert (refund.amount, refund.currency, refund.status, refund.payment_intent_id, refund.reason) == (
        5000,
        "EUR",
        "succeeded",
        session.payment_intent_id,
        "requested_by_customer",
    )
    assert refund.id.startswith("re_")
    assert [r.id for r in provider.gateway.list_refunds(session.payment_intent_id)] == [refund.id]


def test_partial_refunds_add_up_to_the_charge_and_no_further(provider: Provider) -> None:
    # given a paid 50.00 and a refund of 30.00
    session = _paid_session(provider)
    intent = session.payment_intent_id
    assert intent is not None
    first = provider.gateway.create_refund(intent, 3000, None, {}, idempotency_key=_key("refund"))
    assert (first.amount, first.status) == (3000, "succeeded")
    # when 30.00 more is asked, it is refused for good
    with pytest.raises(UpstreamUnavailable) as refused:
        provider.gateway.create_refund(intent, 3000, None, {}, idempotency_key=_key("refund"))
    assert refused.value.code == "provider_refused"
    # and the 20.00 left can still be refunded, after which nothing is left
    rest = provider.gateway.create_refund(intent, 2000, None, {}, idempotency_key=_key("refund"))
    assert rest.amount == 2000
    assert sorted(r.amount for r in provider.gateway.list_refunds(intent)) == [2000, 3000]
    with pytest.raises(UpstreamUnavailable) as again:
        provider.gateway.create_refund(intent, None, None, {}, idempotency_key=_key("refund"))
    assert again.value.code == "provider_refused"


def test_a_refund_replays_under_its_key_and_another_amount_under_it_is_refused(provider: Provider) -> None:
    session = _paid_session(provider)
    intent = session.payment_intent_id
    assert intent is not None
    key = _key("refund")
    first = provider.gateway.create_refund(intent, 1000, None, {}, idempotency_key=key)
    assert provider.gateway.create_refund(intent, 1000, None, {}, idempotency_key=key).id == first.id
    with pytest.raises(IdempotencyKeyReused):
        provider.gateway.create_refund(intent, 1500, None, {}, idempotency_key=key)
    assert [r.amount for r in provider.gateway.list_refunds(intent)] == [1000]


def test_an_authorisation_cannot_be_refunded_only_cancelled(provider: Provider) -> None:
    intent = _confirmed(provider, "pm_card_visa", capture_manually=True)
    with pytest.raises(UpstreamUnavailable) as refused:
        provider.gateway.create_refund(intent.id, None, None, {}, idempotency_key=_key("refund"))
    assert refused.value.code == "provider_refused"
    assert provider.gateway.list_refunds(intent.id) == []


def test_recent_refunds_lists_the_refunds_created_after_the_cutoff(provider: Provider) -> None:
    session = _paid_session(provider)
    intent = session.payment_intent_id
    assert intent is not None
    first = provider.gateway.create_refund(intent, 1000, None, {}, idempotency_key=_key("refund"))
    second = provider.gateway.create_refund(intent, 1000, None, {}, idempotency_key=_key("refund"))
    recent = [r.id for r in provider.gateway.recent_refunds(created_after=first.created - 1)]
    assert {first.id, second.id} <= set(recent)


# --- more idempotency and state rules -----------------------------------------------------------------


def test_a_confirm_key_reused_with_another_card_is_refused_as_our_bug(provider: Provider) -> None:
    intent = provider.gateway.create_payment_intent(_intent_request(), idempotency_key=_key("intent"))
    key = _key("confirm")
    with pytest.raises(PaymentRequired):
        provider.gateway.confirm_payment_intent(
            intent.id, payment_method="pm_card_visa_chargeDeclined", idempotency_key=key
        )
    with pytest.raises(IdempotencyKeyReused):
        provider.gateway.confirm_payment_intent(intent.id, payment_method="pm_card_visa", idempotency_key=key)
    assert provider.gateway.retrieve_payment_intent(intent.id).status == "requires_payment_method"


def test_a_capture_key_reused_with_another_amount_is_refused_as_our_bug(provider: Provider) -> None:
    intent = _confirmed(provider, "pm_card_visa", capture_manually=True)
    key = _key("capture")
    provider.gateway.capture_payment_intent(intent.id, amount_to_capture=4000, idempotency_key=key)
    with pytest.raises(IdempotencyKeyReused):
        provider.gateway.capture_payment_intent(intent.id, amount_to_capture=4500, idempotency_key=key)
    assert provider.gateway.retrieve_payment_intent(intent.id).amount_received == 4000


def test_a_cancelled_intent_cannot_be_cancelled_again_under_a_new_key(provider: Provider) -> None:
    intent = _confirmed(provider, "pm_card_visa", capture_manually=True)
    provider.gateway.cancel_payment_intent(intent.id, idempotency_key=_key("cancel"))
    with pytest.raises(PaymentIntentUnexpectedState):
        provider.gateway.cancel_payment_intent(intent.id, idempotency_key=_key("cancel"))


def test_an_intent_waiting_for_3ds_can_be_cancelled(provider: Provider) -> None:
    intent = _confirmed(provider, "pm_card_threeDSecure2Required")
    canceled = provider.gateway.cancel_payment_intent(intent.id, idempotency_key=_key("cancel"))
    assert (canceled.status, canceled.amount_received) == ("canceled", 0)
