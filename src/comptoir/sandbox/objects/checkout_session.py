from __future__ import annotations

from typing import Any

from ..ids import new_id, random_token
from .common import empty_address


def build_line_item(price: dict[str, Any], product: dict[str, Any], quantity: int) -> dict[str, Any]:
    total = price["unit_amount"] * quantity
    return {
        "id": new_id("li", 24),
        "object": "item",
        "adjustable_quantity": None,
        "amount_discount": 0,
        "amount_subtotal": total,
        "amount_tax": 0,
        "amount_total": total,
        "currency": price["currency"],
        "description": product["name"],
        "metadata": {},
        "price": dict(price),
        "quantity": quantity,
    }


def build_session(
    now: int,
    *,
    public_base_url: str,
    currency: str,
    amount: int,
    expires_at: int,
    success_url: str | None,
    cancel_url: str | None,
    client_reference_id: str | None,
    customer: str | None,
    customer_email: str | None,
    metadata: dict[str, str],
    payment_method_types: list[str],
    locale: str | None,
    submit_type: str | None,
    ui_mode: str = "hosted_page",
) -> dict[str, Any]:
    session_id = "cs_test_" + random_token(58)
    return {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": amount,
        "amount_total": amount,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": cancel_url,
        "client_reference_id": client_reference_id,
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": now,
        "currency": currency,
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": customer,
        "customer_account": None,
        "customer_creation": None if customer else "if_required",
        "customer_details": None,
        "customer_email": customer_email,
        "discounts": [],
        "expires_at": expires_at,
        "integration_identifier": None,
        "invoice": None,
        "invoice_creation": {
            "enabled": False,
            "invoice_data": {
                "account_tax_ids": None,
                "custom_fields": None,
                "description": None,
                "footer": None,
                "issuer": None,
                "metadata": {},
                "rendering_options": None,
            },
        },
        "livemode": False,
        "locale": locale,
        "managed_payments": None,
        "metadata": metadata,
        "mode": "payment",
        "origin_context": None,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": payment_method_types,
        "payment_status": "unpaid",
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": submit_type,
        "subscription": None,
        "success_url": success_url,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": ui_mode,
        "url": f"{public_base_url.rstrip('/')}/c/pay/{session_id}",
        "wallet_options": None,
    }


def customer_details(email: str | None, name: str | None) -> dict[str, Any]:
    return {
        "address": empty_address(),
        "business_name": None,
        "email": email,
        "individual_name": None,
        "name": name,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }
