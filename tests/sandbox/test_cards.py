"""Every test card of facts §7 through the official SDK: success, declines, 3-D Secure."""

from __future__ import annotations

import pytest
import stripe

SUCCESS_CARDS = [
    "pm_card_visa",
    "pm_card_visa_debit",
    "pm_card_mastercard",
    "pm_card_amex",
    "pm_card_discover",
    "pm_card_jcb",
    "pm_card_unionpay",
    "pm_card_bypassPending",
    "pm_card_threeDSecureOptional",
    "pm_card_amex_threeDSecureNotSupported",
]
SUCCESS_NUMBERS = [
    "4242424242424242",
    "4000056655665556",
    "5555555555554444",
    "2223003122003222",
    "5200828282828210",
    "5105105105105100",
    "378282246310005",
    "371449635398431",
    "6011111111111117",
    "3566002020360505",
    "6200000000000005",
    "4000000000000077",
    "4000000032200000",
]

# (payment method, code, decline_code, advice_code, param, message)
DECLINES = [
    (
        "pm_card_visa_chargeDeclined",
        "card_declined",
        "generic_decline",
        "try_again_later",
        None,
        "Your card was declined.",
    ),
    (
        "pm_card_visa_chargeDeclinedInsufficientFunds",
        "card_declined",
        "insufficient_funds",
        "try_again_later",
        None,
        "Your card has insufficient funds.",
    ),
    (
        "pm_card_visa_chargeDeclinedLostCard",
        "card_declined",
        "lost_card",
        "do_not_try_again",
        None,
        "Your card was declined.",
    ),
    (
        "pm_card_visa_chargeDeclinedStolenCard",
        "card_declined",
        "stolen_card",
        "do_not_try_again",
        None,
        "Your card was declined.",
    ),
    (
        "pm_card_chargeDeclinedExpiredCard",
        "expired_card",
        "expired_card",
        "confirm_card_data",
        "exp_month",
        "Your card has expired.",
    ),
    (
        "pm_card_chargeDeclinedIncorrectCvc",
        "incorrect_cvc",
        "incorrect_cvc",
        "confirm_card_data",
        "cvc",
        "Your card's security code is incorrect.",
    ),
    (
        "pm_card_chargeDeclinedProcessingError",
        "processing_error",
        "processing_error",
        "try_again_later",
        None,
        "An error occurred while processing your card. Try again in a little bit.",
    ),
    (
        "pm_card_visa_chargeDeclinedVelocityLimitExceeded",
        "card_declined",
        "card_velocity_exceeded",
        "try_again_later",
        None,
        "Your card was declined.",
    ),
    (
        "pm_card_chargeCustomerFail",
        "card_declined",
        "generic_decline",
        "try_again_later",
        None,
        "Your card was declined.",
    ),
    ("pm_card_radarBlock", "card_declined", "fraudulent", "do_not_try_again", None, "Your card was declined."),
    (
        "pm_card_chargeDeclinedFraudulent",
        "card_declined",
        "fraudulent",
        "do_not_try_again",
        None,
        "Your card was declined.",
    ),
    (
        "pm_card_threeDSecureRequiredProcessingError",
        "card_declined",
        "processing_error",
        "try_again_later",
        None,
        "Your card was declined.",
    ),
]

THREE_DS_REQUIRED = [
    "pm_card_authenticationRequiredOnSetup",
    "pm_card_authenticationRequired",
    "pm_card_authenticationRequiredSetupForOffSession",
    "pm_card_threeDSecure2Required",
    "pm_card_threeDSecureRequired",
]


def pay(client: stripe.StripeClient, payment_method: str, **extra):
    return client.v1.payment_intents.create(
        {"amount": 2000, "currency": "eur", "payment_method": payment_method, "confirm": True, **extra}
    )


@pytest.mark.parametrize("payment_method", SUCCESS_CARDS)
def test_success_cards_pay_immediately(client, payment_method):
    # given a good test card / when it pays
    pi = pay(client, payment_method)
    # then the intent succeeds with a captured charge
    assert pi.status == "succeeded"
    assert pi.amount_received == 2000
    assert pi.payment_method.startswith("pm_") and pi.payment_method != payment_method
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.status == "succeeded" and charge.captured and charge.paid


@pytest.mark.parametrize("number", SUCCESS_NUMBERS)
def test_success_numbers_pay_when_given_as_raw_card_details(client, number):
    # given a PaymentMethod created from raw card details
    pm = client.v1.payment_methods.create(
        {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    )
    assert pm.card.last4 == number[-4:]
    # when it pays / then it succeeds
    assert pay(client, pm.id).status == "succeeded"


@pytest.mark.parametrize("payment_method,code,decline_code,advice_code,param,message", DECLINES)
def test_declines_happen_at_charge_time_with_stripe_error_fields(
    client, payment_method, code, decline_code, advice_code, param, message
):
    # given a declining test card (creating the PaymentMethod itself works)
    # when it is used to confirm a PaymentIntent
    with pytest.raises(stripe.CardError) as raised:
        pay(client, payment_method)
    # then the SDK raises CardError with Stripe's fields
    error = raised.value
    assert error.http_status == 402
    assert error.code == code
    assert error.error.type == "card_error"
    assert error.error.decline_code == decline_code
    assert error.error.advice_code == advice_code
    assert error.error.param == param
    assert error.error.message == message
    assert error.error.charge.startswith("ch_")
    # and the intent is back to requires_payment_method with the error recorded
    pi = client.v1.payment_intents.retrieve(error.error.payment_intent.id)
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == code
    assert pi.last_payment_error.decline_code == decline_code
    charge = client.v1.charges.retrieve(error.error.charge)
    assert charge.status == "failed" and charge.failure_code == code


def test_a_declined_intent_can_be_paid_with_a_good_card(client):
    # given an intent declined with insufficient funds
    with pytest.raises(stripe.CardError) as raised:
        pay(client, "pm_card_visa_chargeDeclinedInsufficientFunds")
    pi_id = raised.value.error.payment_intent.id
    # when it is confirmed again with a good card
    pi = client.v1.payment_intents.confirm(pi_id, {"payment_method": "pm_card_visa"})
    # then it succeeds and the error is cleared
    assert pi.status == "succeeded"
    assert pi.last_payment_error is None
    charges = client.v1.charges.list({"payment_intent": pi_id})
    assert [c.status for c in charges.data] == ["succeeded", "failed"]


def test_incorrect_number_is_refused_when_the_card_is_entered(client):
    with pytest.raises(stripe.CardError) as raised:
        client.v1.payment_methods.create(
            {"type": "card", "card": {"number": "4242424242424241", "exp_month": 12, "exp_year": 2034}}
        )
    assert raised.value.code == "incorrect_number"
    assert raised.value.error.param == "number"


@pytest.mark.parametrize(
    "card,code,param",
    [
        ({"exp_month": 13, "exp_year": 2034}, "invalid_expiry_month", "exp_month"),
        ({"exp_month": 12, "exp_year": 2001}, "invalid_expiry_year", "exp_year"),
        ({"exp_month": 12, "exp_year": 2034, "cvc": "12"}, "invalid_cvc", "cvc"),
    ],
)
def test_invalid_card_data_is_refused(client, card, code, param):
    with pytest.raises(stripe.CardError) as raised:
        client.v1.payment_methods.create({"type": "card", "card": {"number": "4242424242424242", **card}})
    assert raised.value.code == code and raised.value.error.param == param


@pytest.mark.parametrize("payment_method", THREE_DS_REQUIRED)
def test_3ds_cards_require_action_then_succeed_when_completed(client, sandbox, payment_method):
    # given a card that needs authentication
    pi = pay(client, payment_method, return_url="https://shop.example/return")
    # then the intent waits for the buyer with a redirect
    assert pi.status == "requires_action"
    assert pi.next_action.type == "redirect_to_url"
    assert pi.next_action.redirect_to_url.return_url == "https://shop.example/return"
    assert f"/3ds/{pi.id}" in pi.next_action.redirect_to_url.url
    # when the buyer completes the challenge
    sandbox.complete_3ds(pi.id)
    # then the payment succeeds
    assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"
    assert sandbox.three_ds_return_url(pi.id).endswith("redirect_status=succeeded")


def test_3ds_without_return_url_uses_stripe_sdk_next_action(client):
    pi = pay(client, "pm_card_authenticationRequired")
    assert pi.status == "requires_action"
    assert pi.next_action.type == "use_stripe_sdk"


def test_3ds_fail_returns_intent_to_requires_payment_method(client, sandbox):
    pi = pay(client, "pm_card_threeDSecure2Required", return_url="https://shop.example/return")
    # when the buyer clicks Fail
    sandbox.fail_3ds(pi.id)
    # then authentication failed and the intent can be paid again
    pi = client.v1.payment_intents.retrieve(pi.id)
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == "payment_intent_authentication_failure"
    assert client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"}).status == "succeeded"


@pytest.mark.parametrize(
    "payment_method,decline_code",
    [
        ("pm_card_authenticationRequiredChargeDeclinedInsufficientFunds", "insufficient_funds"),
        ("pm_card_threeDSecureRequiredChargeDeclined", "generic_decline"),
    ],
)
def test_3ds_cards_declined_after_authentication(client, sandbox, payment_method, decline_code):
    pi = pay(client, payment_method, return_url="https://shop.example/return")
    assert pi.status == "requires_action"
    sandbox.complete_3ds(pi.id)
    pi = client.v1.payment_intents.retrieve(pi.id)
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == "card_declined"
    assert pi.last_payment_error.decline_code == decline_code


def test_optional_3ds_card_with_processing_error_fails_only_when_3ds_is_requested(client):
    assert pay(client, "pm_card_threeDSecureOptionalProcessingError").status == "succeeded"
    with pytest.raises(stripe.CardError) as raised:
        pay(
            client,
            "pm_card_threeDSecureOptionalProcessingError",
            payment_method_options={"card": {"request_three_d_secure": "any"}},
        )
    assert raised.value.code == "processing_error"


def test_off_session_cards(client):
    # set up for off-session: succeeds without the customer
    assert pay(client, "pm_card_authenticationRequiredSetupForOffSession", off_session=True).status == "succeeded"
    # always-authenticate card off-session: authentication_required
    with pytest.raises(stripe.CardError) as raised:
        pay(client, "pm_card_authenticationRequired", off_session=True)
    assert raised.value.code == "authentication_required"
    assert raised.value.error.decline_code == "authentication_required"


def test_error_on_requires_action_declines_instead_of_waiting(client):
    with pytest.raises(stripe.CardError) as raised:
        pay(client, "pm_card_authenticationRequired", error_on_requires_action=True)
    assert raised.value.code == "authentication_required"


def test_a_test_id_mints_one_payment_method_per_confirmed_create(client, sandbox):
    # given the number of PaymentMethods so far
    before = sandbox.store.count("payment_method")
    # when an intent is created and confirmed in one call with a pm_card_* id
    pi = pay(client, "pm_card_visa")
    # then exactly one PaymentMethod was minted, and it is the one on the intent
    assert sandbox.store.count("payment_method") == before + 1
    assert client.v1.payment_methods.retrieve(pi.payment_method).card.last4 == "4242"


def test_cards_simulating_issuer_declines_cannot_be_attached(client):
    customer = client.v1.customers.create({"email": "attach@example.com"})
    declined = client.v1.payment_methods.create(
        {"type": "card", "card": {"number": "4000000000000002", "exp_month": 12, "exp_year": 2034}}
    )
    with pytest.raises(stripe.CardError) as raised:
        client.v1.payment_methods.attach(declined.id, {"customer": customer.id})
    assert raised.value.code == "card_declined"


def test_charge_customer_fail_card_attaches_then_every_charge_fails(client):
    # given the "decline after attaching" card attached to a customer
    customer = client.v1.customers.create({"email": "later@example.com"})
    pm = client.v1.payment_methods.create(
        {"type": "card", "card": {"number": "4000000000000341", "exp_month": 12, "exp_year": 2034}}
    )
    attached = client.v1.payment_methods.attach(pm.id, {"customer": customer.id})
    assert attached.customer == customer.id
    assert [p.id for p in client.v1.customers.payment_methods.list(customer.id).data] == [pm.id]
    # when it is charged / then the charge is declined
    with pytest.raises(stripe.CardError) as raised:
        pay(client, pm.id, customer=customer.id)
    assert raised.value.code == "card_declined"
    events = client.v1.events.list({"type": "payment_method.attached", "limit": 5}).data
    assert events[0].data.object.id == pm.id
    assert client.v1.payment_methods.detach(pm.id).customer is None


def test_inline_payment_method_data_as_stripe_js_sends_it(client):
    pi = client.v1.payment_intents.create({"amount": 2000, "currency": "eur"})
    with pytest.raises(stripe.CardError) as raised:
        client.v1.payment_intents.confirm(
            pi.id,
            {
                "payment_method_data": {
                    "type": "card",
                    "card": {"number": "4000000000009995", "exp_month": 12, "exp_year": 2034},
                }
            },
        )
    assert raised.value.error.decline_code == "insufficient_funds"
    paid = client.v1.payment_intents.confirm(
        pi.id, {"payment_method_data": {"type": "card", "card": {"token": "tok_visa"}}}
    )
    assert paid.status == "succeeded"


def server_confirmed(client: stripe.StripeClient, payment_method: str, **extra):
    """Seed 003's first server step: create and confirm with manual confirmation."""
    return pay(client, payment_method, confirmation_method="manual", **extra)


@pytest.mark.parametrize("payment_method", ["pm_card_authenticationRequired", "pm_card_threeDSecure2Required"])
def test_manual_confirmation_waits_for_the_server_after_3ds(client, sandbox, payment_method):
    # given a manual-confirmation intent that needs authentication (handleCardAction's use_stripe_sdk)
    pi = server_confirmed(client, payment_method)
    assert pi.status == "requires_action" and pi.next_action.type == "use_stripe_sdk"
    # when the buyer completes the challenge
    sandbox.complete_3ds(pi.id)
    # then nothing is charged yet: the intent waits for the server to confirm it
    waiting = client.v1.payment_intents.retrieve(pi.id)
    assert waiting.status == "requires_confirmation"
    assert waiting.next_action is None and waiting.latest_charge is None and waiting.amount_received == 0
    # when the server confirms again (no new challenge)
    paid = client.v1.payment_intents.confirm(pi.id)
    # then it is charged, with the authentication on the charge
    assert paid.status == "succeeded" and paid.amount_received == 2000
    charge = client.v1.charges.retrieve(paid.latest_charge)
    assert charge.payment_method_details.card.three_d_secure.result == "authenticated"


def test_manual_confirmation_and_manual_capture_authorises_on_the_server_confirm(client, sandbox):
    pi = server_confirmed(client, "pm_card_authenticationRequired", capture_method="manual")
    sandbox.complete_3ds(pi.id)
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_confirmation"
    assert client.v1.payment_intents.confirm(pi.id).status == "requires_capture"


@pytest.mark.parametrize(
    "payment_method,decline_code",
    [
        ("pm_card_authenticationRequiredChargeDeclinedInsufficientFunds", "insufficient_funds"),
        ("pm_card_threeDSecureRequiredChargeDeclined", "generic_decline"),
    ],
)
def test_manual_confirmation_declines_on_the_server_confirm_after_3ds(client, sandbox, payment_method, decline_code):
    # given a card that authenticates and is then declined, on a manual-confirmation intent
    pi = server_confirmed(client, payment_method)
    sandbox.complete_3ds(pi.id)
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_confirmation"
    # when the server confirms / then the decline is the answer to that confirm
    with pytest.raises(stripe.CardError) as raised:
        client.v1.payment_intents.confirm(pi.id)
    assert raised.value.code == "card_declined"
    assert raised.value.error.decline_code == decline_code
    after = client.v1.payment_intents.retrieve(pi.id)
    assert after.status == "requires_payment_method"
    assert after.last_payment_error.decline_code == decline_code


def test_manual_confirmation_return_url_reports_the_authentication_succeeded(client, sandbox):
    pi = server_confirmed(client, "pm_card_threeDSecure2Required", return_url="https://shop.example/return")
    assert pi.next_action.type == "redirect_to_url"
    sandbox.complete_3ds(pi.id)
    assert sandbox.three_ds_return_url(pi.id).endswith("redirect_status=succeeded")


def test_manual_confirmation_with_another_card_after_3ds_asks_for_that_card_again(client, sandbox):
    # given an authenticated manual-confirmation intent
    pi = server_confirmed(client, "pm_card_authenticationRequired")
    sandbox.complete_3ds(pi.id)
    # when the server confirms it with a different 3-D Secure card / then that card needs its own challenge
    again = client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_threeDSecure2Required"})
    assert again.status == "requires_action"
