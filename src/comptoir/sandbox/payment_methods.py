"""PaymentMethods: from raw card details (sandbox only), from ``pm_card_*`` ids, from SEPA IBANs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .cards import PAYMENT_METHOD_IDS, card_for, iban_ok, luhn_ok
from .errors import StripeError, card_declined, invalid_param, invalid_request, missing_param, resource_missing
from .objects.common import billing_details
from .objects.payment_method import build_card_payment_method, build_sepa_payment_method
from .params import Params

if TYPE_CHECKING:
    from .context import ObjectContext

ATTACHABLE_DECLINE = "4000000000000341"


def _card_input_error(code: str, message: str, param: str) -> StripeError:
    return StripeError(402, "card_error", message, code=code, param=param, stored=False)


def create_card(
    sb: ObjectContext,
    number: str,
    exp_month: Any,
    exp_year: Any,
    cvc: str | None = None,
    billing: Any = None,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Validate raw card details like Stripe does at tokenisation and store a PaymentMethod.

    Only input errors fail here (``incorrect_number``, ``invalid_expiry_*``, ``invalid_cvc``);
    issuer declines wait for the charge.
    """
    number = (number or "").replace(" ", "")
    if not luhn_ok(number):
        raise _card_input_error("incorrect_number", "Your card number is incorrect.", "number")
    try:
        month = int(exp_month)
    except (TypeError, ValueError):
        raise _card_input_error(
            "invalid_expiry_month", "Your card's expiration month is invalid.", "exp_month"
        ) from None
    if not 1 <= month <= 12:
        raise _card_input_error("invalid_expiry_month", "Your card's expiration month is invalid.", "exp_month")
    try:
        year = int(exp_year)
    except (TypeError, ValueError):
        raise _card_input_error("invalid_expiry_year", "Your card's expiration year is invalid.", "exp_year") from None
    if year < 100:
        year += 2000
    current_year = 1970 + sb.clock.now() // 31_556_952
    if year < current_year or year > current_year + 50:
        raise _card_input_error("invalid_expiry_year", "Your card's expiration year is invalid.", "exp_year")
    if cvc not in (None, "") and (not str(cvc).isdigit() or not 3 <= len(str(cvc)) <= 4):
        raise _card_input_error("invalid_cvc", "Your card's security code is invalid.", "cvc")
    card = card_for(number)
    pm = build_card_payment_method(
        sb.clock.now(),
        card,
        exp_month=month,
        exp_year=year,
        cvc_given=cvc not in (None, ""),
        billing=billing,
        metadata=metadata,
    )
    return sb.store.add("payment_method", pm, {"number": number})


def create_sepa(
    sb: ObjectContext, iban: str, billing: Any = None, metadata: dict[str, str] | None = None
) -> dict[str, Any]:
    if not iban or not iban_ok(iban):
        raise invalid_param("The IBAN you provided is invalid.", "sepa_debit[iban]", code="invalid_bank_account_iban")
    pm = build_sepa_payment_method(sb.clock.now(), iban, billing=billing, metadata=metadata)
    return sb.store.add("payment_method", pm, {"iban": iban.replace(" ", "").upper()})


def from_test_id(sb: ObjectContext, reference: str) -> dict[str, Any]:
    number = PAYMENT_METHOD_IDS[reference]
    return create_card(sb, number, 12, 1970 + sb.clock.now() // 31_556_952 + 5, "123")


def resolve(sb: ObjectContext, reference: str, param: str = "payment_method") -> dict[str, Any]:
    """An existing ``pm_…`` or a documented test id (which, as on Stripe, mints a new ``pm_…``)."""
    if reference in PAYMENT_METHOD_IDS:
        return from_test_id(sb, reference)
    pm = sb.store.get(reference, "payment_method")
    if pm is None:
        raise resource_missing("PaymentMethod", reference, param=param, status=400)
    return pm


def create_from_params(sb: ObjectContext, p: Params) -> dict[str, Any]:
    kind = p.str("type", required=True)
    metadata = p.metadata()
    billing = p.raw("billing_details")
    if kind == "card":
        card = p.sub("card")
        token = card.str("token")
        if token:
            if token not in PAYMENT_METHOD_IDS:
                raise resource_missing("token", token, param="card[token]", status=400)
            pm = from_test_id(sb, token)
            pm["metadata"] = metadata or {}
            pm["billing_details"] = billing_details(billing)
            return pm
        if not card.has("number"):
            raise missing_param("card[number]")
        for key in ("exp_month", "exp_year"):
            if not card.has(key):
                raise missing_param(f"card[{key}]")
        return create_card(
            sb, card.str("number", ""), card.raw("exp_month"), card.raw("exp_year"), card.str("cvc"), billing, metadata
        )
    if kind == "sepa_debit":
        return create_sepa(sb, p.sub("sepa_debit").str("iban", required=True), billing, metadata)
    raise invalid_param(
        f"Invalid type: the sandbox supports card and sepa_debit, not {kind}.", "type", code="parameter_invalid_string"
    )


def attach(sb: ObjectContext, pm: dict[str, Any], customer_id: str) -> dict[str, Any]:
    """Attach to a Customer. Cards that simulate issuer declines cannot be attached (facts §7),
    except 4000000000000341, whose whole point is to attach and then fail every charge."""
    customer = sb.store.get(customer_id, "customer")
    if customer is None:
        raise resource_missing("customer", customer_id, param="customer", status=400)
    if pm["customer"] and pm["customer"] != customer_id:
        raise invalid_request(
            "The payment method you provided has already been attached to a customer.", param="payment_method"
        )
    number = sb.store.private.get(pm["id"], {}).get("number")
    card = card_for(number) if number else None
    if card is not None and card.decline is not None and number != ATTACHABLE_DECLINE:
        raise card_declined(card.decline)
    if pm["customer"] == customer_id:
        return pm
    pm["customer"] = customer_id
    sb.store.save(pm["id"])
    sb.bus.emit("payment_method.attached", pm)
    return pm


def detach(sb: ObjectContext, pm: dict[str, Any]) -> dict[str, Any]:
    if not pm["customer"]:
        raise invalid_request(
            f"The payment method {pm['id']} is not attached to a customer so detachment is impossible.",
            param="payment_method",
        )
    previous = {"customer": pm["customer"]}
    pm["customer"] = None
    sb.store.save(pm["id"])
    sb.bus.emit("payment_method.detached", pm, previous_attributes=previous)
    return pm
