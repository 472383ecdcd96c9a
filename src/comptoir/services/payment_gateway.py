"""The port to the payment provider (Stripe or the sandbox), in our own terms.

Services never see the `stripe` package: they get these small frozen values, and the adapter
(`comptoir.adapters.stripe_gateway`, the only module that imports stripe) turns SDK objects and
SDK exceptions into them. Provider objects arrive as plain dicts (a signed event's
`data.object`, or a retrieved object's `to_dict()`), parsed here once so a session from a
webhook and a session re-read from the API are the same value.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from comptoir.domain.errors import ComptoirError, NotFound


class WebhookSignatureInvalid(ComptoirError):
    """Answered with 400 (not 422): Stripe shows the status in the endpoint's delivery log."""

    code = "webhook_signature_invalid"
    title = "Webhook signature verification failed"


class ProviderObjectMissing(NotFound):
    """The provider says the object does not exist (e.g. an unknown checkout session id)."""

    code = "provider_object_missing"
    title = "Unknown payment object"


@dataclass(frozen=True, slots=True)
class CheckoutLine:
    name: str
    unit_amount: int
    quantity: int
    description: str | None = None


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    order_id: str
    currency: str
    lines: tuple[CheckoutLine, ...]
    success_url: str
    cancel_url: str
    expires_at: int
    customer_email: str | None = None
    capture_manually: bool = False
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    id: str
    status: str  # open | complete | expired
    payment_status: str  # paid | unpaid | no_payment_required
    amount_total: int | None
    currency: str | None
    order_id: str | None
    client_reference_id: str | None
    payment_intent_id: str | None
    url: str | None
    expires_at: int | None
    created: int | None

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> CheckoutSession:
        metadata = obj.get("metadata") or {}
        return cls(
            id=str(obj["id"]),
            status=str(obj.get("status") or ""),
            payment_status=str(obj.get("payment_status") or ""),
            amount_total=obj.get("amount_total"),
            currency=(obj.get("currency") or "").upper() or None,
            order_id=metadata.get("order_id"),
            client_reference_id=obj.get("client_reference_id"),
            payment_intent_id=_id_of(obj.get("payment_intent")),
            url=obj.get("url"),
            expires_at=obj.get("expires_at"),
            created=obj.get("created"),
        )


@dataclass(frozen=True, slots=True)
class Refund:
    id: str
    amount: int
    currency: str
    status: str  # pending | requires_action | succeeded | failed | canceled
    payment_intent_id: str | None
    charge_id: str | None
    reason: str | None

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> Refund:
        return cls(
            id=str(obj["id"]),
            amount=int(obj["amount"]),
            currency=str(obj.get("currency") or "").upper(),
            status=str(obj.get("status") or ""),
            payment_intent_id=_id_of(obj.get("payment_intent")),
            charge_id=_id_of(obj.get("charge")),
            reason=obj.get("reason"),
        )

    @property
    def counts(self) -> bool:
        """Whether the money is (or is about to be) back with the customer, as Stripe's balance sees it."""
        return self.status in {"pending", "requires_action", "succeeded"}


def _id_of(value: object) -> str | None:
    if isinstance(value, Mapping):
        return str(value.get("id"))
    return str(value) if value else None


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    id: str
    type: str
    created: int
    object: Mapping[str, Any]
    raw: Mapping[str, Any]


class PaymentGateway(Protocol):
    def create_checkout_session(self, request: CheckoutRequest, *, idempotency_key: str) -> CheckoutSession: ...

    def retrieve_checkout_session(self, session_id: str) -> CheckoutSession: ...

    def expire_checkout_session(self, session_id: str, *, idempotency_key: str) -> CheckoutSession: ...

    def list_checkout_sessions(self, *, created_after: int) -> Iterator[CheckoutSession]: ...

    def list_refunds(self, payment_intent_id: str) -> list[Refund]: ...

    def create_refund(
        self,
        payment_intent_id: str,
        amount: int,
        reason: str | None,
        metadata: Mapping[str, str],
        *,
        idempotency_key: str,
    ) -> Refund:
        """Refund `amount` of a PaymentIntent's charge. `reason` is Stripe's enum (duplicate, fraudulent,
        requested_by_customer) or None; free text goes in `metadata`. Raises Conflict
        (`refund_refused`) when the provider refuses it for good (e.g. more than is left to refund)."""
        ...

    def payment_intent_status(self, payment_intent_id: str) -> str: ...

    def verify_webhook(self, payload: bytes, signature_header: str | None) -> WebhookEvent: ...
