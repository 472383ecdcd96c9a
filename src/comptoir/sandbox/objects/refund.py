from __future__ import annotations

from typing import Any

from ..ids import new_id, random_token


def build_refund(
    now: int, *, charge: dict[str, Any], amount: int, status: str, reason: str | None, metadata: dict[str, str] | None
) -> dict[str, Any]:
    card = charge["payment_method_details"].get("type") == "card"
    return {
        "id": new_id("re", 24),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn", 24),
        "charge": charge["id"],
        "created": now,
        "currency": charge["currency"],
        "customer": charge["customer"],
        "customer_account": None,
        "destination_details": {
            "card": {
                "reference": random_token(12),
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        }
        if card
        else None,
        "metadata": metadata or {},
        "payment_intent": charge["payment_intent"],
        "payment_method": charge["payment_method"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": status,
        "transfer_reversal": None,
    }
