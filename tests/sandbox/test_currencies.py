"""Stripe's currency list, minor units and per-currency minimums; SEPA in euros only; amounts in
messages written in the currency's own units; a failed refund's balance transaction."""

from __future__ import annotations

import pytest
import stripe

from comptoir.sandbox.currencies import format_amount


def test_a_three_letter_code_stripe_does_not_support_is_refused(client):
    # when a PaymentIntent is created in a code that looks like a currency but is none of Stripe's
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.create({"amount": 1000, "currency": "xyz"})
    # then 400 on currency, listing what is supported
    assert raised.value.param == "currency"
    assert raised.value.error.message.startswith("Invalid currency: xyz. Stripe currently supports")


@pytest.mark.parametrize(
    ("currency", "minimum", "shown"),
    [("gbp", 30, "£0.30"), ("mxn", 1000, "10.00\u00a0MXN"), ("jpy", 50, "¥50"), ("eur", 50, "€0.50")],
)
def test_each_currency_has_stripes_minimum_charge(client, currency, minimum, shown):
    # when a PaymentIntent is one minor unit under the currency's minimum, then amount_too_small naming it
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.create({"amount": minimum - 1, "currency": currency})
    assert (raised.value.code, raised.value.param) == ("amount_too_small", "amount")
    assert raised.value.error.message == f"Amount must be at least {shown} {currency}"
    # and the minimum itself is accepted
    assert client.v1.payment_intents.create({"amount": minimum, "currency": currency}).amount == minimum


def test_a_checkout_total_under_the_minimum_is_refused(client):
    item = {"price_data": {"currency": "gbp", "unit_amount": 29, "product_data": {"name": "Mint"}}, "quantity": 1}
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create({"mode": "payment", "line_items": [item]})
    assert (raised.value.code, raised.value.param) == ("amount_too_small", "line_items")


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [(1000, "jpy", "¥1,000"), (123456, "eur", "€1,234.56"), (1000, "kwd", "1.000\u00a0KWD"), (5, "usd", "$0.05")],
)
def test_amounts_are_written_in_the_currencys_own_units(amount, currency, text):
    assert format_amount(amount, currency) == text


def test_a_jpy_over_refund_message_shows_yen_not_hundredths(client):
    # given a ¥1,000 payment, ¥400 of it refunded
    pi = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "jpy", "payment_method": "pm_card_visa", "confirm": True}
    )
    client.v1.refunds.create({"payment_intent": pi.id, "amount": 400})
    # when ¥1,000 more is asked back
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create({"payment_intent": pi.id, "amount": 1000})
    # then the message speaks yen
    message = raised.value.error.message
    assert "(¥1,000)" in message and "(¥600)" in message and "10.00" not in message


def test_sepa_debit_with_a_non_euro_payment_intent_is_refused(client):
    # when a PaymentIntent in dollars allows SEPA Direct Debit, then 400
    with pytest.raises(stripe.InvalidRequestError) as at_create:
        client.v1.payment_intents.create(
            {"amount": 1000, "currency": "usd", "payment_method_types": ["card", "sepa_debit"]}
        )
    assert at_create.value.param == "payment_method_types" and "eur" in at_create.value.error.message
    # when a SEPA PaymentMethod confirms a dollar PaymentIntent, then 400 and the intent is untouched
    sepa = client.v1.payment_methods.create(
        {
            "type": "sepa_debit",
            "sepa_debit": {"iban": "DE89370400440532013000"},
            "billing_details": {"name": "A B", "email": "a@example.com"},
        }
    )
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as at_confirm:
        client.v1.payment_intents.confirm(pi.id, {"payment_method": sepa.id})
    assert at_confirm.value.param == "payment_method"
    again = client.v1.payment_intents.retrieve(pi.id)
    assert (again.status, again.payment_method) == ("requires_payment_method", None)


def test_a_failed_refund_has_its_balance_transaction(client, sandbox):
    # given a refund on the card whose refunds fail later
    card = {"number": "4000000000005126", "exp_month": 12, "exp_year": 2034}
    pm = client.v1.payment_methods.create({"type": "card", "card": card})
    pi = client.v1.payment_intents.create({"amount": 900, "currency": "eur", "payment_method": pm.id, "confirm": True})
    refund = client.v1.refunds.create({"payment_intent": pi.id})
    # when it fails
    sandbox.advance_clock(sandbox.config.async_delay + 1)
    failed = client.v1.refunds.retrieve(refund.id, {"expand": ["failure_balance_transaction"]})
    # then the money coming back is a balance transaction with an id, expandable and retrievable
    credit = failed.failure_balance_transaction
    assert failed.status == "failed" and credit.id.startswith("txn_")
    assert (credit.type, credit.amount, credit.source) == ("refund_failure", 900, refund.id)
    assert client.v1.balance_transactions.retrieve(credit.id).id == credit.id
