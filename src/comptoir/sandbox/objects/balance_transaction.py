"""Balance transaction objects (same keys as fixtures3.json). The sandbox keeps only the ones an
integration may need to expand: the credit back to the balance when a refund fails."""

from __future__ import annotations

from typing import Any

from ..ids import new_id


def build_refund_failure(now: int, *, refund: dict[str, Any]) -> dict[str, Any]:
    """The money of a failed refund coming back to the balance (``type=refund_failure``)."""
    return {
        "id": new_id("txn", 24),
        "object": "balance_transaction",
        "amount": refund["amount"],
        "available_on": now,
        "balance_type": "payments",
        "created": now,
        "currency": refund["currency"],
        "description": f"REFUND FAILURE FOR REFUND ({refund['id']})",
        "exchange_rate": None,
        "fee": 0,
        "fee_details": [],
        "net": refund["amount"],
        "reporting_category": "refund_failure",
        "source": refund["id"],
        "status": "available",
        "type": "refund_failure",
    }
