"""Refunds and the refund rules of facts §6.1: partial refunds add up, over-refunds and second
full refunds are refused, uncaptured authorisations must be canceled instead, and the two
asynchronous refund cards change status later (on ``settle``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .amounts import check_maximum
from .cards import RefundBehaviour, card_for
from .currencies import format_amount
from .errors import invalid_request, resource_missing
from .objects.balance_transaction import build_refund_failure
from .objects.refund import build_refund
from .params import Params, merge_metadata
from .payments import snapshot

if TYPE_CHECKING:
    from .context import ObjectContext

REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def _charge_to_refund(sb: ObjectContext, p: Params) -> dict[str, Any]:
    charge_id = p.str("charge")
    pi_id = p.str("payment_intent")
    if not charge_id and not pi_id:
        raise invalid_request(
            "One of the following params should be provided for this request: payment_intent or charge.", stored=False
        )
    if pi_id:
        pi = sb.store.get(pi_id, "payment_intent")
        if pi is None:
            raise resource_missing("payment_intent", pi_id, param="payment_intent", status=400)
        if pi["status"] == "requires_capture":
            raise invalid_request(
                f"This PaymentIntent ({pi_id}) has not been captured yet; cancel it to "
                "release the authorization instead of refunding it."
            )
        if pi["status"] != "succeeded" or not pi["latest_charge"]:
            raise invalid_request(f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.")
        charge_id = pi["latest_charge"]
    assert charge_id is not None  # given, or the PaymentIntent's (one of the two is checked above)
    charge = sb.store.get(charge_id, "charge")
    if charge is None:
        raise resource_missing("charge", charge_id, param="charge", status=400)
    if charge["status"] == "succeeded" and not charge["captured"]:
        raise invalid_request(
            f"Charge {charge_id} has not been captured yet; cancel its PaymentIntent to "
            "release the authorization instead of refunding it."
        )
    if charge["status"] != "succeeded":
        raise invalid_request(f"Charge {charge_id} cannot be refunded because its status is {charge['status']}.")
    return charge


def refresh_charge(sb: ObjectContext, charge: dict[str, Any]) -> None:
    refunds = [r for r in sb.store.newest_first("refund") if r["charge"] == charge["id"]]
    charge["refunds"] = {
        "object": "list",
        "data": [snapshot(r) for r in refunds[:10]],
        "has_more": len(refunds) > 10,
        "url": f"/v1/charges/{charge['id']}/refunds",
    }
    # what can be refunded is what was captured (all of it, or a partial capture's amount)
    charge["refunded"] = charge["amount_captured"] > 0 and charge["amount_refunded"] >= charge["amount_captured"]
    sb.store.save(charge["id"])


def create(sb: ObjectContext, p: Params) -> dict[str, Any]:
    reason = p.str("reason", choices=REASONS)
    metadata = p.metadata()
    requested = p.int("amount", minimum=1)
    charge = _charge_to_refund(sb, p)
    if requested is not None:
        check_maximum(requested, charge["currency"])
    refundable = charge["amount_captured"] - charge["amount_refunded"]
    if refundable <= 0:
        raise invalid_request(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
    amount = refundable if requested is None else requested
    if amount > refundable:
        raise invalid_request(
            f"Refund amount ({format_amount(amount, charge['currency'])}) is greater than unrefunded amount on charge "
            f"({format_amount(refundable, charge['currency'])})",
            param="amount",
        )
    pm_private = sb.store.private.get(charge["payment_method"], {})
    behaviour = card_for(pm_private["number"]).refund if "number" in pm_private else RefundBehaviour.IMMEDIATE
    status = "pending" if behaviour is RefundBehaviour.PENDING_THEN_SUCCEEDS else "succeeded"
    refund = build_refund(sb.clock.now(), charge=charge, amount=amount, status=status, reason=reason, metadata=metadata)
    sb.store.add("refund", refund)
    charge["amount_refunded"] += amount
    refresh_charge(sb, charge)
    if behaviour is not RefundBehaviour.IMMEDIATE:
        sb.schedule(
            sb.config.async_delay,
            "settle_refund",
            {"refund": refund["id"], "succeeds": behaviour is RefundBehaviour.PENDING_THEN_SUCCEEDS},
        )
    sb.bus.emit("refund.created", refund)
    sb.bus.emit("charge.refunded", charge)
    return refund


def settle(sb: ObjectContext, payload: dict[str, Any]) -> None:
    refund = sb.store.get(payload["refund"], "refund")
    if refund is None:
        return
    charge = sb.store.linked(refund["charge"], "charge")
    previous = {"status": refund["status"]}
    if payload["succeeds"]:
        if refund["status"] != "pending":
            return
        refund["status"] = "succeeded"
    else:
        if refund["status"] == "failed":
            return
        refund["status"] = "failed"
        refund["failure_reason"] = "expired_or_canceled_card"
        credit = build_refund_failure(sb.clock.now(), refund=refund)
        sb.store.add("balance_transaction", credit)
        refund["failure_balance_transaction"] = credit["id"]
        charge["amount_refunded"] -= refund["amount"]
    sb.store.save(refund["id"])
    refresh_charge(sb, charge)
    if refund["status"] == "failed":
        sb.bus.emit("refund.failed", refund)
    sb.bus.emit("refund.updated", refund, previous_attributes=previous)
    sb.bus.emit("charge.refund.updated", refund, previous_attributes=previous)


def update(sb: ObjectContext, refund: dict[str, Any], p: Params) -> dict[str, Any]:
    previous = {"metadata": dict(refund["metadata"])}
    refund["metadata"] = merge_metadata(refund["metadata"], p.metadata())
    sb.store.save(refund["id"])
    sb.bus.emit("refund.updated", refund, previous_attributes=previous)
    return refund


def get(sb: ObjectContext, refund_id: str) -> dict[str, Any]:
    refund = sb.store.get(refund_id, "refund")
    if refund is None:
        raise resource_missing("refund", refund_id)
    return refund
