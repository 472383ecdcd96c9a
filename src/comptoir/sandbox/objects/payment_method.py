from __future__ import annotations

import hashlib
from typing import Any

from ..cards import TestCard, brand_of, normalise_iban
from ..ids import new_id
from .common import billing_details


def fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def build_card_payment_method(
    now: int,
    card: TestCard,
    *,
    exp_month: int,
    exp_year: int,
    cvc_given: bool,
    billing: Any = None,
    metadata: dict[str, str] | None = None,
    customer: str | None = None,
) -> dict[str, Any]:
    brand = brand_of(card.number)
    return {
        "id": new_id("pm", 24),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": billing_details(billing),
        "card": {
            "brand": brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "unchecked" if cvc_given else None,
            },
            "country": card.country,
            "display_brand": brand,
            "exp_month": exp_month,
            "exp_year": exp_year,
            "fingerprint": fingerprint(card.number),
            "funding": card.funding,
            "generated_from": None,
            "last4": card.number[-4:],
            "networks": {"available": [brand], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": card.three_ds.value != "not_supported"},
            "wallet": None,
        },
        "created": now,
        "customer": customer,
        "customer_account": None,
        "livemode": False,
        "metadata": metadata or {},
        "type": "card",
    }


def build_sepa_payment_method(
    now: int, iban: str, *, billing: Any = None, metadata: dict[str, str] | None = None
) -> dict[str, Any]:
    iban = normalise_iban(iban)
    return {
        "id": new_id("pm", 24),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": billing_details(billing),
        "created": now,
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": metadata or {},
        "sepa_debit": {
            "bank_code": iban[4:12],
            "branch_code": "",
            "country": iban[:2],
            "fingerprint": fingerprint(iban),
            "generated_from": {"charge": None, "setup_attempt": None},
            "last4": iban[-4:],
        },
        "type": "sepa_debit",
    }
