"""The rules of one try at taking payment: its kind, its states and the only way they move,
what it asks the card for, and the idempotency key of every write we send to Stripe.

The enum values are the strings stored in `payment_attempts.kind` / `.state`; a StrEnum compares
equal to them, so rows read back as plain strings still match.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol


class AttemptKind(StrEnum):
    CHECKOUT_SESSION = "checkout_session"
    PAYMENT_INTENT = "payment_intent"


_ID_PREFIXES = {"pi_": AttemptKind.PAYMENT_INTENT, "cs_": AttemptKind.CHECKOUT_SESSION}


def provider_kind(object_id: str) -> AttemptKind | None:
    """Which kind of provider object an id names, read from the prefix the provider gives its ids
    (the sandbox mints the same). A ledger payment's reference is a PaymentIntent, a Checkout
    Session paid without one, or none of them (the counter's): None."""
    return _ID_PREFIXES.get(object_id[:3])


class AttemptState(StrEnum):
    CREATING = "creating"
    OPEN = "open"
    PROCESSING = "processing"
    # A card authorisation awaiting capture (manual capture); it ends succeeded (captured) or
    # canceled (authorisation released).
    AUTHORIZED = "authorized"
    FAILED = "failed"
    EXPIRED = "expired"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


_RANK = {
    AttemptState.CREATING: 0,
    AttemptState.OPEN: 1,
    AttemptState.PROCESSING: 2,
    AttemptState.AUTHORIZED: 3,
    AttemptState.FAILED: 3,
    AttemptState.EXPIRED: 3,
    AttemptState.SUCCEEDED: 4,
    AttemptState.CANCELED: 4,
}


def may_advance(current: AttemptState | str, target: AttemptState | str) -> bool:
    """Forward only, so a late "processing" never undoes "succeeded"; a failed card attempt may
    reopen (a declined card leaves its PaymentIntent reusable), and may still succeed later."""
    current, target = AttemptState(current), AttemptState(target)
    if current is AttemptState.FAILED and target is AttemptState.OPEN:
        return True
    return _RANK[target] > _RANK[current]


class CaptureTerms(Protocol):
    """How a shop takes online payments (the stored shop satisfies it as it is)."""

    @property
    def capture_manually(self) -> bool: ...
    @property
    def capture_margin_percent(self) -> int: ...


def authorised_amount(total: int, shop: CaptureTerms) -> int:
    """What an online payment asks for: the total, plus the shop's margin when it captures the
    weighed amount later (rounded half-up once, in minor units)."""
    if not shop.capture_manually or shop.capture_margin_percent <= 0:
        return total
    return total + (total * shop.capture_margin_percent + 50) // 100


class Keys:
    """Every idempotency key we send to Stripe. A key's format must never change: an attempt
    retried after a deploy under a differently spelt key is a second charge."""

    @staticmethod
    def checkout(order_id: str, number: int) -> str:
        """Creating the order's `number`th Checkout Session."""
        return f"order:{order_id}:checkout:{number}"

    @staticmethod
    def intent(order_id: str, number: int) -> str:
        """Creating the order's `number`th PaymentIntent (the on-page card form)."""
        return f"order:{order_id}:intent:{number}"

    @staticmethod
    def confirm(attempt_key: str, payment_method: str | None) -> str:
        """Confirming an attempt's intent with one payment method."""
        return f"{attempt_key}:confirm:{payment_method}"

    @staticmethod
    def confirm_after_failure(attempt_key: str, payment_method: str | None, failed_at: datetime) -> str:
        """Confirming again after a recorded failure: a fresh key per failure, still shared by the
        clicks of one retry."""
        return f"{attempt_key}:confirm:{payment_method}:after:{failed_at.isoformat()}"

    @staticmethod
    def confirm_after_action(attempt_key: str, payment_method: str | None) -> str:
        """Confirming again once the customer finished 3-D Secure."""
        return f"{attempt_key}:confirm:{payment_method}:after-action"

    @staticmethod
    def expire(attempt_key: str) -> str:
        """Expiring an attempt's Checkout Session."""
        return f"{attempt_key}:expire"

    @staticmethod
    def cancel(attempt_key: str) -> str:
        """Canceling an attempt's PaymentIntent (closing a payment path, releasing a hold)."""
        return f"{attempt_key}:cancel"

    @staticmethod
    def capture(order_id: str, amount: int) -> str:
        """Capturing `amount` of an authorised payment."""
        return f"order:{order_id}:capture:{amount}"

    @staticmethod
    def refund(order_id: str, number: int) -> str:
        """The order's `number`th merchant refund."""
        return f"order:{order_id}:refund:{number}"

    @staticmethod
    def refusal_refund(order_id: str) -> str:
        """The refund of a refused order (there is only ever one)."""
        return f"order:{order_id}:refund:refuse"

    @staticmethod
    def authorisation_cancel(order_id: str, number: int) -> str:
        """Releasing the authorisation of the order's `number`th attempt when the shop refuses it."""
        return f"order:{order_id}:authorization:{number}:cancel"

    @staticmethod
    def duplicate_refund(payment_intent_id: str) -> str:
        """Refunding a second payment of an order."""
        return f"payment:{payment_intent_id}:duplicate-refund"

    @staticmethod
    def cancelled_order_refund(payment_intent_id: str) -> str:
        """Refunding a payment that landed on a cancelled order."""
        return f"payment:{payment_intent_id}:cancelled-order-refund"
