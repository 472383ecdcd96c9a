"""Stripe's test cards and SEPA test IBANs, and what each does when charged.

Source: facts §7 (docs.stripe.com/testing plus observed live test-mode behaviour). Issuer
declines happen when a charge is attempted, never when the PaymentMethod is created; only a
number failing the Luhn check is refused at creation (``incorrect_number``), as Stripe does.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Decline:
    code: str
    decline_code: str | None
    message: str
    advice_code: str | None
    param: str | None = None


GENERIC = Decline("card_declined", "generic_decline", "Your card was declined.", "try_again_later")
INSUFFICIENT_FUNDS = Decline(
    "card_declined", "insufficient_funds", "Your card has insufficient funds.", "try_again_later"
)
LOST = Decline("card_declined", "lost_card", "Your card was declined.", "do_not_try_again")
STOLEN = Decline("card_declined", "stolen_card", "Your card was declined.", "do_not_try_again")
EXPIRED = Decline("expired_card", "expired_card", "Your card has expired.", "confirm_card_data", "exp_month")
INCORRECT_CVC = Decline(
    "incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.", "confirm_card_data", "cvc"
)
PROCESSING = Decline(
    "processing_error",
    "processing_error",
    "An error occurred while processing your card. Try again in a little bit.",
    "try_again_later",
)
VELOCITY = Decline("card_declined", "card_velocity_exceeded", "Your card was declined.", "try_again_later")
FRAUDULENT = Decline("card_declined", "fraudulent", "Your card was declined.", "do_not_try_again")
THREE_DS_LOOKUP_FAILED = Decline("card_declined", "processing_error", "Your card was declined.", "try_again_later")


class ThreeDS(StrEnum):
    NOT_SUPPORTED = "not_supported"
    NEVER = "never"  # supported, not enrolled: never prompted
    OPTIONAL = "optional"  # prompted only when 3DS is requested
    REQUIRED = "required"  # every transaction
    REQUIRED_ON_SESSION = "required_on_session"  # 3155: off-session also needs it unless set up
    SETUP_FOR_OFF_SESSION = "setup_for_off_session"  # 0446: off-session succeeds
    FRICTIONLESS = "frictionless"  # required but passes without a challenge


class RefundBehaviour(StrEnum):
    IMMEDIATE = "immediate"
    PENDING_THEN_SUCCEEDS = "pending_then_succeeds"
    SUCCEEDS_THEN_FAILS = "succeeds_then_fails"


@dataclass(frozen=True)
class TestCard:
    number: str
    decline: Decline | None = None
    three_ds: ThreeDS = ThreeDS.NEVER
    decline_after_3ds: Decline | None = None
    error_when_3ds_attempted: Decline | None = None
    refund: RefundBehaviour = RefundBehaviour.IMMEDIATE
    country: str = "US"
    funding: str = "credit"
    radar_blocked: bool = False


_CARDS = [
    TestCard("4242424242424242"),
    TestCard("4000056655665556", funding="debit"),
    TestCard("5555555555554444"),
    TestCard("2223003122003222"),
    TestCard("5200828282828210", funding="debit"),
    TestCard("5105105105105100", funding="prepaid"),
    TestCard("378282246310005", three_ds=ThreeDS.NOT_SUPPORTED),
    TestCard("371449635398431", three_ds=ThreeDS.NOT_SUPPORTED),
    TestCard("6011111111111117"),
    TestCard("3566002020360505", country="JP"),
    TestCard("6200000000000005", country="CN"),
    TestCard("3056930009020004"),
    TestCard("4000000000000077"),
    TestCard("4000000000000002", decline=GENERIC),
    TestCard("4000000000009995", decline=INSUFFICIENT_FUNDS),
    TestCard("4000000000009987", decline=LOST),
    TestCard("4000000000009979", decline=STOLEN),
    TestCard("4000000000000069", decline=EXPIRED),
    TestCard("4000000000000127", decline=INCORRECT_CVC),
    TestCard("4000000000000119", decline=PROCESSING),
    TestCard("4000000000006975", decline=VELOCITY),
    TestCard("4000000000000341", decline=GENERIC),
    TestCard("4100000000000019", decline=FRAUDULENT, radar_blocked=True),
    TestCard("4000002500003155", three_ds=ThreeDS.REQUIRED_ON_SESSION),
    TestCard("4000002760003184", three_ds=ThreeDS.REQUIRED),
    TestCard("4000003800000446", three_ds=ThreeDS.SETUP_FOR_OFF_SESSION),
    TestCard("4000008260003178", three_ds=ThreeDS.REQUIRED, decline_after_3ds=INSUFFICIENT_FUNDS),
    TestCard("4000000000003220", three_ds=ThreeDS.REQUIRED, country="IE"),
    TestCard("4000008400000027", three_ds=ThreeDS.REQUIRED),
    TestCard("4000008400001629", three_ds=ThreeDS.REQUIRED, decline_after_3ds=GENERIC),
    TestCard("4000008400001280", three_ds=ThreeDS.REQUIRED, decline=THREE_DS_LOOKUP_FAILED),
    TestCard("4000000000003055", three_ds=ThreeDS.OPTIONAL),
    TestCard("4000000000003097", three_ds=ThreeDS.OPTIONAL, error_when_3ds_attempted=PROCESSING),
    TestCard("4000000032200000", three_ds=ThreeDS.FRICTIONLESS),
    TestCard("4000000000003063", three_ds=ThreeDS.REQUIRED),
    TestCard("4000000000007726", refund=RefundBehaviour.PENDING_THEN_SUCCEEDS),
    TestCard("4000000000005126", refund=RefundBehaviour.SUCCEEDS_THEN_FAILS),
]

CARDS_BY_NUMBER: dict[str, TestCard] = {card.number: card for card in _CARDS}

#: Documented PaymentMethod ids (and their ``tok_`` twins) → card number.
PAYMENT_METHOD_IDS: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_mastercard_debit": "5200828282828210",
    "pm_card_mastercard_prepaid": "5105105105105100",
    "pm_card_amex": "378282246310005",
    "pm_card_discover": "6011111111111117",
    "pm_card_diners": "3056930009020004",
    "pm_card_jcb": "3566002020360505",
    "pm_card_unionpay": "6200000000000005",
    "pm_card_bypassPending": "4000000000000077",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_visa_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_visa_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_visa_chargeDeclinedVelocityLimitExceeded": "4000000000006975",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_radarBlock": "4100000000000019",
    "pm_card_chargeDeclinedFraudulent": "4100000000000019",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_authenticationRequiredSetupForOffSession": "4000003800000446",
    "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds": "4000008260003178",
    "pm_card_threeDSecure2Required": "4000000000003220",
    "pm_card_threeDSecureRequired": "4000000000003063",
    "pm_card_threeDSecureRequiredChargeDeclined": "4000008400001629",
    "pm_card_threeDSecureRequiredProcessingError": "4000008400001280",
    "pm_card_threeDSecureOptional": "4000000000003055",
    "pm_card_threeDSecureOptionalProcessingError": "4000000000003097",
    "pm_card_amex_threeDSecureNotSupported": "378282246310005",
    "pm_card_pendingRefund": "4000000000007726",
    "pm_card_refundFail": "4000000000005126",
}
PAYMENT_METHOD_IDS.update({"tok_" + k[len("pm_card_") :]: v for k, v in list(PAYMENT_METHOD_IDS.items())})


def luhn_ok(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def brand_of(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"34", "37"}:
        return "amex"
    if number[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(number[:4] or 0) <= 2720:
        return "mastercard"
    if number.startswith(("6011", "65")) or 644 <= int(number[:3] or 0) <= 649:
        return "discover"
    if number.startswith("35"):
        return "jcb"
    if number.startswith(("36", "30", "38")):
        return "diners"
    if number.startswith("62"):
        return "unionpay"
    return "unknown"


def card_for(number: str) -> TestCard:
    """The catalogue entry, or a plain succeeding card for any other Luhn-valid number."""
    return CARDS_BY_NUMBER.get(number) or TestCard(number)


# --- SEPA Direct Debit ------------------------------------------------------------------


@dataclass(frozen=True)
class TestIban:
    succeeds: bool
    delay_factor: int = 1
    failure_code: str | None = None


_IBAN_SUFFIXES = {
    "3000": TestIban(True),
    "3201": TestIban(True),
    "3001": TestIban(False, failure_code="insufficient_funds"),
    "3202": TestIban(False, failure_code="insufficient_funds"),
    "3002": TestIban(True),
    "3203": TestIban(True),
    "343434": TestIban(True, delay_factor=3),
    "121212": TestIban(False, delay_factor=3, failure_code="insufficient_funds"),
}


def normalise_iban(iban: str) -> str:
    return iban.replace(" ", "").upper()


def iban_ok(iban: str) -> bool:
    iban = normalise_iban(iban)
    if len(iban) < 15 or not iban[:2].isalpha() or not iban[2:4].isdigit() or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def iban_behaviour(iban: str) -> TestIban:
    iban = normalise_iban(iban)
    for suffix in ("343434", "121212"):
        if iban.endswith(suffix):
            return _IBAN_SUFFIXES[suffix]
    return _IBAN_SUFFIXES.get(iban[-4:], TestIban(True))
