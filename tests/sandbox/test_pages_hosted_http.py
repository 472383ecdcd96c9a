"""The hosted Checkout page and the 3-D Secure challenge, driven with a real HTTP client.

Sessions are created with the official SDK against a real uvicorn server; the buyer posts the
page's forms with httpx exactly as a browser would; outcomes are read back with the SDK.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe

from tests.servers import Buyer

from .pages_harness import PUBLISHABLE_KEY, SHOP, Sandbox, buyer, running_sandbox, shop

__all__ = ["buyer", "shop"]

SEPA_TYPES = ["card", "sepa_debit"]


def _success(session_id: str) -> str:
    return f"{SHOP}/thanks?session_id={session_id}"


# --- what the buyer sees -------------------------------------------------------------------------


def test_the_page_shows_the_shop_the_items_the_total_and_the_prefilled_email(shop: Sandbox, buyer: Buyer) -> None:
    # given a session for two cups and a bag of beans
    session = shop.checkout_session()
    # when the buyer opens session.url
    page = buyer.open(session.url)
    # then the page shows who is paid, each line, the total, the email and a way back
    assert page.status == 200
    assert "Café Lumière" in page.html
    assert "Espresso cup" in page.html and "Qty 2" in page.html and "€25.00" in page.html
    assert "Beans 250 g" in page.html and "€9.00" in page.html
    assert "Pay €34.00" in page.html
    assert page.value_of("email") == "ann@example.com"
    assert f'href="{SHOP}/cart"' in page.html and "← Back" in page.html
    assert "4242 4242 4242 4242" in page.html and "no real money" in page.html
    assert 'id="card_number"' in page.html and 'id="card_expiry"' in page.html and 'id="card_cvc"' in page.html


def test_a_session_s_display_name_replaces_the_account_s_name(shop: Sandbox, buyer: Buyer) -> None:
    # given a session that asks to show the shop's own name (one account, several shops)
    session = shop.checkout_session(branding_settings={"display_name": "Boucherie Dupont"})
    # when the buyer opens it / then that name is who they pay, not the account's business name
    page = buyer.open(session.url)
    assert "Pay Boucherie Dupont" in page.html and "Café Lumière" not in page.html


def test_a_product_s_description_is_shown_under_its_name(shop: Sandbox, buyer: Buyer) -> None:
    # given a catalogue product with a description, sold by price id
    product = shop.client.v1.products.create({"name": "Moka pot", "description": "Three cups, aluminium"})
    price = shop.client.v1.prices.create({"product": product.id, "currency": "eur", "unit_amount": 3900})
    session = shop.checkout_session(line_items=[{"price": price.id, "quantity": 1}])
    # when the page is opened / then the name, its description and the amount are there
    page = buyer.open(session.url)
    assert "Moka pot" in page.html and "Three cups, aluminium" in page.html and "€39.00" in page.html


def test_a_zero_decimal_currency_is_shown_in_whole_units(shop: Sandbox, buyer: Buyer) -> None:
    # given a yen session of ¥1,500 (1500 minor units = 1500 yen)
    session = shop.checkout_session(
        line_items=[
            {"price_data": {"currency": "jpy", "unit_amount": 1500, "product_data": {"name": "Matcha"}}, "quantity": 1}
        ]
    )
    # when the page is opened / then the total is ¥1,500, not ¥15.00
    page = buyer.open(session.url)
    assert "Pay ¥1,500" in page.html
    assert "15.00" not in page.html


def test_a_card_only_session_offers_no_sepa(shop: Sandbox, buyer: Buyer) -> None:
    page = buyer.open(shop.checkout_session().url)
    assert "SEPA Direct Debit" not in page.html and 'name="iban"' not in page.html


def test_an_unknown_session_is_a_404_page(shop: Sandbox, buyer: Buyer) -> None:
    page = buyer.open(f"{shop.url}/c/pay/cs_test_doesnotexist")
    assert page.status == 404 and page.state() == "not_found"


# --- card payments -------------------------------------------------------------------------------


def test_paying_with_4242_redirects_to_the_success_url_and_the_session_is_paid(shop: Sandbox, buyer: Buyer) -> None:
    # given an open session
    session = shop.checkout_session()
    # when the buyer pays with the always-succeeding card
    page = buyer.pay_card(session.url, "4242 4242 4242 4242")
    # then they are sent (303) to success_url with the session id substituted
    assert page.status == 303
    assert page.location == _success(session.id)
    # and the SDK sees a complete, paid session with a succeeded PaymentIntent
    paid = shop.client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.customer_details.email == "ann@example.com"
    assert shop.client.v1.payment_intents.retrieve(paid.payment_intent).status == "succeeded"


def test_a_paid_session_shows_the_already_paid_page_and_refuses_a_second_payment(shop: Sandbox, buyer: Buyer) -> None:
    # given a session already paid
    session = shop.checkout_session()
    token = buyer.open(session.url).token()
    assert buyer.pay_card(session.url, token=token).status == 303
    # when the buyer opens the link again, or replays the form
    again = buyer.open(session.url)
    replay = buyer.pay_card(session.url, token=token)
    # then both show the already-paid page, and only one charge exists
    assert again.state() == "paid" and "already paid" in again.html
    assert replay.state() == "paid"
    pi = shop.client.v1.checkout.sessions.retrieve(session.id).payment_intent
    assert len(shop.client.v1.charges.list({"payment_intent": pi}).data) == 1


def test_a_decline_is_shown_inline_keeping_input_but_not_the_number_then_4242_pays(shop: Sandbox, buyer: Buyer) -> None:
    # given an open session
    session = shop.checkout_session()
    # when the buyer tries the generic-decline card
    page = buyer.pay_card(session.url, "4000 0000 0000 0002", card_name="Ann Declined", email="ann@shop.test")
    # then the same page comes back with Stripe's message, their input kept, the number blank
    assert page.status == 200
    assert page.alert() == "Your card was declined."
    assert page.value_of("card_name") == "Ann Declined"
    assert page.value_of("email") == "ann@shop.test"
    assert page.value_of("card_expiry") == "12 / 34"
    assert page.value_of("card_number") == ""
    declined = shop.client.v1.checkout.sessions.retrieve(session.id)
    assert declined.status == "open"
    # and a good card then pays the same session (and the same PaymentIntent)
    retry = buyer.pay_card(session.url, "4242424242424242", token=page.token())
    assert retry.location == _success(session.id)
    paid = shop.client.v1.checkout.sessions.retrieve(session.id)
    assert paid.payment_status == "paid" and paid.payment_intent == declined.payment_intent


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("4000000000009995", "Your card has insufficient funds."),
        ("4000000000009987", "Your card was declined."),
        ("4000000000000069", "Your card has expired."),
        ("4000000000000127", "Your card's security code is incorrect."),
        ("4000000000000119", "An error occurred while processing your card. Try again in a little bit."),
    ],
)
def test_issuer_declines_use_stripe_s_messages(shop: Sandbox, buyer: Buyer, number: str, message: str) -> None:
    session = shop.checkout_session()
    page = buyer.pay_card(session.url, number)
    assert page.status == 200 and page.alert() == message
    assert shop.client.v1.checkout.sessions.retrieve(session.id).status == "open"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"number": "4242 4242 4242"}, "card_number", "Your card number is incomplete."),
        ({"number": "4242 4242 4242 4241"}, "card_number", "Your card number is invalid."),
        ({"card_expiry": "13 / 34"}, "card_expiry", "Your card's expiration month is invalid."),
        ({"card_expiry": "12 / 19"}, "card_expiry", "Your card's expiration year is in the past."),
        ({"card_expiry": "12"}, "card_expiry", "Your card's expiration date is incomplete."),
        ({"card_cvc": "12"}, "card_cvc", "Your card's security code is incomplete."),
        ({"card_name": ""}, "card_name", "Enter the name on your card."),
        ({"email": "ann-at-example"}, "email", "Your email address is invalid."),
    ],
)
def test_bad_input_is_refused_inline_and_nothing_is_charged(
    shop: Sandbox, buyer: Buyer, fields: dict[str, str], field: str, message: str
) -> None:
    # given an open session
    session = shop.checkout_session()
    # when the buyer submits one bad field
    number = fields.pop("number", "4242 4242 4242 4242")
    page = buyer.pay_card(session.url, number, card_name=fields.pop("card_name", "Ann Example"), **fields)
    # then that field carries the message, the other fields are kept, and no payment was attempted
    assert page.status == 200
    assert page.field_error(field) == message
    assert page.value_of("card_number") == ""
    if field != "card_cvc":
        assert page.value_of("card_cvc") == "123"
    after = shop.client.v1.checkout.sessions.retrieve(session.id)
    assert after.status == "open" and after.payment_intent is None


def test_a_post_without_the_page_s_token_is_refused(shop: Sandbox, buyer: Buyer) -> None:
    # given an open session and a forged form (another site cannot read the token)
    session = shop.checkout_session()
    # when it is posted with a wrong token
    page = buyer.pay_card(session.url, token="forged")
    # then nothing is charged and the page asks the buyer to try again
    assert page.status == 403 and "Pay again" in (page.alert() or "")
    assert shop.client.v1.checkout.sessions.retrieve(session.id).payment_intent is None


def test_a_manual_capture_session_says_the_payment_is_authorised(shop: Sandbox, buyer: Buyer) -> None:
    # given a session whose PaymentIntent captures manually
    session = shop.checkout_session(payment_intent_data={"capture_method": "manual"})
    # when the buyer pays / then they reach success_url, and the link now says "authorised"
    assert buyer.pay_card(session.url).location == _success(session.id)
    page = buyer.open(session.url)
    assert page.state() == "authorised" and "Payment authorised" in page.html


# --- 3-D Secure ----------------------------------------------------------------------------------


def test_3ds_complete_pays_the_session_and_lands_on_the_success_url(shop: Sandbox, buyer: Buyer) -> None:
    # given a session paid with the card that always asks for authentication
    session = shop.checkout_session()
    page = buyer.pay_card(session.url, "4000 0025 0000 3155")
    # then the buyer is sent to the challenge page
    assert page.status == 303 and urlsplit(page.location).path.startswith("/3ds/pi_")
    challenge = buyer.open(page.location)
    assert "Complete authentication" in challenge.html and "Fail authentication" in challenge.html
    assert (
        shop.client.v1.payment_intents.retrieve(
            shop.client.v1.checkout.sessions.retrieve(session.id).payment_intent
        ).status
        == "requires_action"
    )
    # when they click Complete
    back = buyer.choose_3ds(page.location, "complete")
    # then they return through the session page to success_url, and the session is paid
    assert back.status == 303 and urlsplit(back.location).path == urlsplit(session.url).path
    assert buyer.open(back.location).location == _success(session.id)
    paid = shop.client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")


def test_3ds_fail_leaves_the_session_open_with_an_authentication_failure(shop: Sandbox, buyer: Buyer) -> None:
    # given a session waiting for 3-D Secure
    session = shop.checkout_session()
    challenge_url = buyer.pay_card(session.url, "4000002500003155").location
    # when the buyer clicks Fail
    back = buyer.choose_3ds(challenge_url, "fail")
    # then they are back on the payment form with the reason, the session still open
    page = buyer.open(back.location)
    assert page.status == 200 and "failed authentication" in (page.alert() or "")
    opened = shop.client.v1.checkout.sessions.retrieve(session.id)
    assert opened.status == "open"
    pi = shop.client.v1.payment_intents.retrieve(opened.payment_intent)
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == "payment_intent_authentication_failure"
    # and another card still pays
    assert buyer.pay_card(session.url, "4242424242424242").location == _success(session.id)


def test_a_decline_after_authentication_comes_back_as_an_inline_message(shop: Sandbox, buyer: Buyer) -> None:
    session = shop.checkout_session()
    challenge_url = buyer.pay_card(session.url, "4000008260003178").location
    back = buyer.choose_3ds(challenge_url, "complete")
    page = buyer.open(back.location)
    assert page.alert() == "Your card has insufficient funds."
    assert shop.client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_the_challenge_needs_the_intent_s_client_secret_and_the_page_s_token(shop: Sandbox, buyer: Buyer) -> None:
    # given a PaymentIntent waiting for 3-D Secure
    session = shop.checkout_session()
    challenge_url = buyer.pay_card(session.url, "4000002500003155").location
    pi_id = urlsplit(challenge_url).path.rsplit("/", 1)[1]
    client_secret = parse_qs(urlsplit(challenge_url).query)["client_secret"][0]
    # when someone guesses the URL without the secret, or posts without the token
    guessed = buyer.open(f"{shop.url}/3ds/{pi_id}?client_secret={pi_id}_secret_wrong")
    forged = buyer.http.post(
        f"{shop.url}/3ds/{pi_id}", data={"client_secret": client_secret, "outcome": "complete", "csrf_token": "x"}
    )
    # then neither authenticates the payment
    assert guessed.status == 404
    assert forged.status_code == 403
    assert shop.client.v1.payment_intents.retrieve(pi_id).status == "requires_action"


def test_the_challenge_for_an_api_payment_intent_returns_to_its_return_url(shop: Sandbox, buyer: Buyer) -> None:
    # given a PaymentIntent confirmed server-side with a return_url (redirect flow)
    pi = shop.client.v1.payment_intents.create(
        {
            "amount": 2000,
            "currency": "eur",
            "payment_method": "pm_card_threeDSecure2Required",
            "confirm": True,
            "return_url": f"{SHOP}/order/7/return",
            "payment_method_types": ["card"],
        }
    )
    assert pi.status == "requires_action" and pi.next_action.type == "redirect_to_url"
    # when the buyer completes the challenge
    back = buyer.choose_3ds(pi.next_action.redirect_to_url.url, "complete")
    # then they land on return_url with Stripe's parameters, and the intent succeeded
    query = parse_qs(urlsplit(back.location).query)
    assert back.location.startswith(f"{SHOP}/order/7/return?")
    assert query["payment_intent"] == [pi.id] and query["redirect_status"] == ["succeeded"]
    assert shop.client.v1.payment_intents.retrieve(pi.id).status == "succeeded"


# --- sessions that cannot be paid any more -------------------------------------------------------


def test_an_expired_session_shows_the_expired_page_and_cannot_be_paid(shop: Sandbox, buyer: Buyer) -> None:
    # given a session the shop expired through the SDK
    session = shop.checkout_session()
    token = buyer.open(session.url).token()
    shop.client.v1.checkout.sessions.expire(session.id)
    # when the buyer opens it, or submits the form they still had open
    page = buyer.open(session.url)
    late = buyer.pay_card(session.url, token=token)
    # then both show the expired page with the way back, and nothing was charged
    assert page.state() == "expired" and "expired" in page.html and f'href="{SHOP}/cart"' in page.html
    assert late.state() == "expired"
    assert shop.client.v1.checkout.sessions.retrieve(session.id).payment_intent is None


def test_a_session_past_expires_at_shows_the_expired_page() -> None:
    # given a session with the shortest lifetime, and the sandbox clock moved past it
    with running_sandbox() as sandbox, httpx.Client() as http:
        # (a minute over the 30-minute minimum, so a second ticking by before the request is not a refusal)
        session = sandbox.checkout_session(expires_at=sandbox.engine.clock.now() + 31 * 60)
        sandbox.engine.advance_clock(31 * 60 + 1)
        # when the buyer opens the link
        page = http.get(session.url)
        # then the session has expired
        assert 'data-state="expired"' in page.text
        assert sandbox.client.v1.checkout.sessions.retrieve(session.id).status == "expired"


# --- SEPA Direct Debit ---------------------------------------------------------------------------


def _events_for(shop: Sandbox, event_type: str, session_id: str) -> list[stripe.Event]:
    return [
        e for e in shop.client.v1.events.list({"type": event_type, "limit": 100}).data if e.data.object.id == session_id
    ]


def test_sepa_completes_unpaid_then_settles_paid_with_an_async_event(shop: Sandbox, buyer: Buyer) -> None:
    # given a euro session that accepts SEPA Direct Debit
    session = shop.checkout_session(payment_method_types=SEPA_TYPES)
    assert "SEPA Direct Debit" in buyer.open(session.url).html
    # when the buyer pays with the succeeding test IBAN
    page = buyer.pay_sepa(session.url, "DE89 3704 0044 0532 0130 00")
    # then they reach success_url at once, the session complete but unpaid
    assert page.location == _success(session.id)
    pending = shop.client.v1.checkout.sessions.retrieve(session.id)
    assert (pending.status, pending.payment_status) == ("complete", "unpaid")
    assert buyer.open(session.url).state() == "processing"
    # and when the debit settles (sandbox clock) the session is paid with async_payment_succeeded
    shop.engine.advance_clock(shop.engine.config.async_delay + 1)
    assert shop.client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    assert len(_events_for(shop, "checkout.session.async_payment_succeeded", session.id)) == 1


def test_sepa_with_the_failing_iban_ends_in_async_payment_failed(shop: Sandbox, buyer: Buyer) -> None:
    session = shop.checkout_session(payment_method_types=SEPA_TYPES)
    assert buyer.pay_sepa(session.url, "DE62370400440532013001").location == _success(session.id)
    shop.engine.advance_clock(shop.engine.config.async_delay + 1)
    failed = shop.client.v1.checkout.sessions.retrieve(session.id)
    assert failed.payment_status == "unpaid"
    assert shop.client.v1.payment_intents.retrieve(failed.payment_intent).status == "requires_payment_method"
    assert len(_events_for(shop, "checkout.session.async_payment_failed", session.id)) == 1
    assert buyer.open(session.url).state() == "debit_failed"


def test_a_bad_iban_is_refused_inline(shop: Sandbox, buyer: Buyer) -> None:
    session = shop.checkout_session(payment_method_types=SEPA_TYPES)
    page = buyer.pay_sepa(session.url, "DE89 3704 0044 0532 0130 99", sepa_name="Ann Sepa")
    assert page.field_error("iban") == "Your IBAN is invalid."
    assert (
        page.value_of("sepa_name") == "Ann Sepa"
        and 'id="pm-sepa" name="payment_method_type" value="sepa_debit" checked' in page.html
    )
    assert shop.client.v1.checkout.sessions.retrieve(session.id).status == "open"


# --- Stripe.js stand-in, served and reachable cross-origin ---------------------------------------


@pytest.mark.parametrize("path", ["/js/v3", "/v3/"])
def test_stripe_js_is_served_as_javascript(shop: Sandbox, path: str) -> None:
    response = httpx.get(shop.url + path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert "window.Stripe = Stripe" in response.text


def test_the_api_answers_another_origin_and_lets_a_publishable_key_create_payment_methods(shop: Sandbox) -> None:
    # given a shop page on another origin preparing a Stripe.js call
    origin = {"Origin": "http://127.0.0.1:8000"}
    preflight = httpx.options(
        f"{shop.url}/v1/payment_methods",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    # when it creates a PaymentMethod with the publishable key, and tries a secret-key-only call
    created = httpx.post(
        f"{shop.url}/v1/payment_methods",
        headers={**origin, "Authorization": f"Bearer {PUBLISHABLE_KEY}"},
        data={
            "type": "card",
            "card[number]": "4242424242424242",
            "card[exp_month]": "12",
            "card[exp_year]": "2034",
            "card[cvc]": "123",
        },
    )
    listed = httpx.get(
        f"{shop.url}/v1/payment_intents", headers={**origin, "Authorization": f"Bearer {PUBLISHABLE_KEY}"}
    )
    # then the browser may read both answers, and only the allowed call succeeds
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == "*"
    assert created.status_code == 200 and created.json()["id"].startswith("pm_")
    assert created.headers["access-control-allow-origin"] == "*"
    assert listed.status_code == 401 and listed.headers["access-control-allow-origin"] == "*"
