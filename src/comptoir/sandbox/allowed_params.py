"""Top-level parameters each POST endpoint accepts; anything else is Stripe's 400
``parameter_unknown`` ("Received unknown parameter: …"), which catches typos in integrations.

Generated from the request-parameter types of stripe-python 16.1.0 (API 2026-10-28.endive),
plus names older API versions still send (``payment_method_types`` before
``allowed_payment_method_types``) and the fields Stripe.js adds to browser calls. Only the top
level is checked: nested hashes are read by the handlers, which ignore what they do not model.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


OLDER_API_VERSIONS = _words("payment_method_types")
STRIPE_JS = _words("""
    key client_secret _stripe_version _stripe_account payment_user_agent time_on_page guid muid sid referrer
    expected_payment_method_type
""")

_TABLE: dict[str, frozenset[str]] = {
    "/v1/customers": _words("""
        address balance business_name cash_balance description email expand individual_name invoice_prefix
        invoice_settings metadata name next_invoice_sequence payment_method phone preferred_locales shipping
        source tax tax_exempt tax_id_data test_clock validate
    """),
    "/v1/customers/{id}": _words("""
        address balance business_name cash_balance default_source description email expand individual_name
        invoice_prefix invoice_settings metadata name next_invoice_sequence phone preferred_locales shipping
        source tax tax_exempt validate
    """),
    "/v1/products": _words("""
        active default_price_data description expand id images marketing_features metadata name
        package_dimensions shippable statement_descriptor tax_code tax_details type unit_label url
    """),
    "/v1/products/{id}": _words("""
        active default_price description expand images marketing_features metadata name package_dimensions
        shippable statement_descriptor tax_code tax_details unit_label url
    """),
    "/v1/prices": _words("""
        active billing_scheme currency currency_options custom_unit_amount expand lookup_key metadata
        nickname product product_data recurring tax_behavior tiers tiers_mode transfer_lookup_key
        transform_quantity unit_amount unit_amount_decimal
    """),
    "/v1/prices/{id}": _words("""
        active currency_options expand lookup_key metadata nickname tax_behavior transfer_lookup_key
    """),
    "/v1/payment_methods": _words("""
        acss_debit affirm afterpay_clearpay alipay allow_redisplay alma amazon_pay au_becs_debit bacs_debit
        bancontact billie billing_details bizum blik boleto card cashapp crypto custom customer
        customer_balance eps expand fpx giropay grabpay ideal interac_present kakao_pay klarna konbini
        kr_card link mb_way metadata mobilepay multibanco naver_pay nz_bank_account oxxo p24 pay_by_bank
        payco payment_method paynow paypal paypay payto pix promptpay radar_options revolut_pay samsung_pay
        satispay scalapay sepa_debit sequra sofort sunbit swish twint type upi us_bank_account wechat_pay zip
    """),
    "/v1/payment_methods/{id}/attach": _words("""
        customer customer_account expand
    """),
    "/v1/payment_methods/{id}/detach": _words("""
        expand
    """),
    "/v1/payment_intents": _words("""
        allowed_payment_method_types amount amount_details application_fee_amount automatic_payment_methods
        capture_method confirm confirmation_method confirmation_token currency customer customer_account
        description error_on_requires_action excluded_payment_method_types expand hooks mandate mandate_data
        metadata off_session on_behalf_of payment_details payment_method payment_method_configuration
        payment_method_data payment_method_options radar_options receipt_email return_url setup_future_usage
        shipping statement_descriptor statement_descriptor_suffix transfer_data transfer_group use_stripe_sdk
    """),
    "/v1/payment_intents/{id}": _words("""
        allowed_payment_method_types amount amount_details application_fee_amount capture_method currency
        customer customer_account description excluded_payment_method_types expand hooks metadata
        payment_details payment_method payment_method_configuration payment_method_data
        payment_method_options receipt_email setup_future_usage shipping statement_descriptor
        statement_descriptor_suffix transfer_data transfer_group
    """),
    "/v1/payment_intents/{id}/confirm": _words("""
        allowed_payment_method_types amount_details amount_to_confirm capture_method confirmation_token
        error_on_requires_action excluded_payment_method_types expand hooks mandate mandate_data off_session
        payment_details payment_method payment_method_data payment_method_options radar_options receipt_email
        return_url setup_future_usage shipping use_stripe_sdk
    """),
    "/v1/payment_intents/{id}/cancel": _words("""
        cancellation_reason expand
    """),
    "/v1/payment_intents/{id}/capture": _words("""
        amount_details amount_to_capture application_fee_amount expand final_capture hooks metadata
        payment_details statement_descriptor statement_descriptor_suffix transfer_data
    """),
    "/v1/refunds": _words("""
        amount charge currency customer expand instructions_email metadata origin payment_intent reason
        refund_application_fee reverse_transfer
    """),
    "/v1/refunds/{id}": _words("""
        expand metadata
    """),
    "/v1/checkout/sessions": _words("""
        adaptive_pricing after_expiration allow_promotion_codes allowed_payment_method_types automatic_tax
        billing_address_collection branding_settings cancel_url client_reference_id consent_collection
        currency custom_fields custom_text customer customer_account customer_creation customer_email
        customer_update discounts excluded_payment_method_types expand expires_at integration_identifier
        invoice_creation line_items locale managed_payments metadata mode name_collection optional_items
        origin_context payment_intent_data payment_method_collection payment_method_configuration
        payment_method_data payment_method_options permissions phone_number_collection redirect_on_completion
        return_url saved_payment_method_options setup_intent_data shipping_address_collection
        shipping_options submit_type subscription_data success_url tax_id_collection ui_mode wallet_options
    """),
    "/v1/checkout/sessions/{id}/expire": _words("""
        expand
    """),
    "/v1/webhook_endpoints": _words("""
        api_version connect description enabled_events expand metadata url
    """),
    "/v1/webhook_endpoints/{id}": _words("""
        description disabled enabled_events expand metadata url
    """),
}

ALLOWED_POST_PARAMS: dict[str, frozenset[str]] = {
    path: names
    | (OLDER_API_VERSIONS if path.startswith(("/v1/payment_intents", "/v1/checkout/sessions")) else frozenset())
    | (STRIPE_JS if path in ("/v1/payment_methods", "/v1/payment_intents/{id}/confirm") else frozenset())
    for path, names in _TABLE.items()
}
