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

from comptoir.domain.errors import ComptoirError, Conflict, NotFound
from comptoir.domain.payments import AttemptKind


class WebhookSignatureInvalid(ComptoirError):
    """Answered with 400 (not 422): Stripe shows the status in the endpoint's delivery log."""

    code = "webhook_signature_invalid"
    title = "Webhook signature verification failed"


class PaymentIntentUnexpectedState(Conflict):
    """The provider refused an action on a PaymentIntent because of its state (confirming one that
    already succeeded, capturing one that is not authorised). Callers re-read the intent and act on
    what it says; the API answers 409 if they let it through."""

    code = "payment_intent_unexpected_state"
    title = "The payment is not in a state that allows this"


class ProviderObjectMissing(NotFound):
    """The provider says the object does not exist (e.g. an unknown checkout session id)."""

    code = "provider_object_missing"
    title = "Unknown payment object"


class IdempotencyKeyReused(Conflict):
    """The provider refused a write because its idempotency key was first used with other parameters.

    Never the client's fault and never worth a blind retry: it is a bug of ours (rule 3 of
    docs/payments.md, parameters for a key are identical on retry), logged as such by the adapter."""

    code = "idempotency_key_reused"
    title = "This payment request contradicts an earlier one with the same key"


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
    display_name: str | None = None  # the shop's name on the hosted page (else the account's business name)


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
    capture_manually: bool = False  # only authorises (weighed goods): metadata capture=manual, set by us

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
            capture_manually=metadata.get("capture") == "manual",
        )

    @property
    def named_order_id(self) -> str | None:
        """The order the session is for: our metadata, else the client reference (set by us too)."""
        return self.order_id or self.client_reference_id


@dataclass(frozen=True, slots=True)
class Refund:
    id: str
    amount: int
    currency: str
    status: str  # pending | requires_action | succeeded | failed | canceled
    payment_intent_id: str | None
    charge_id: str | None
    reason: str | None
    created: int = 0

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
            created=int(obj.get("created") or 0),
        )

    @property
    def counts(self) -> bool:
        """Whether the money is (or is about to be) back with the customer, as Stripe's balance sees it."""
        return self.status in {"pending", "requires_action", "succeeded"}


@dataclass(frozen=True, slots=True)
class RefundEvent:
    """What a refund event tells (`charge.refunded`, `refund.*`, `charge.refund.updated`): whose
    refunds changed. Its object is a Charge or a Refund; both name their PaymentIntent, and the
    ledger is then synced with that intent's whole list of refunds."""

    payment_intent_id: str | None

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> RefundEvent:
        return cls(payment_intent_id=_id_of(obj.get("payment_intent")))


@dataclass(frozen=True, slots=True)
class PaymentIntentRequest:
    """What creating a PaymentIntent for an order sends: only what the order determines (no card),
    so racing callers send identical parameters under the same idempotency key."""

    order_id: str
    amount: int
    currency: str
    capture_manually: bool = False
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PaymentIntent:
    id: str
    # requires_payment_method | requires_confirmation | requires_action | processing | requires_capture
    # | succeeded | canceled
    status: str
    amount: int
    amount_received: int
    amount_capturable: int
    currency: str
    client_secret: str | None
    capture_method: str
    next_action_type: str | None
    error_code: str | None
    decline_code: str | None
    error_message: str | None
    order_id: str | None
    payment_method_id: str | None

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> PaymentIntent:
        error = obj.get("last_payment_error") or {}
        next_action = obj.get("next_action") or {}
        return cls(
            id=str(obj["id"]),
            status=str(obj.get("status") or ""),
            amount=int(obj.get("amount") or 0),
            amount_received=int(obj.get("amount_received") or 0),
            amount_capturable=int(obj.get("amount_capturable") or 0),
            currency=str(obj.get("currency") or "").upper(),
            client_secret=obj.get("client_secret"),
            capture_method=str(obj.get("capture_method") or "automatic"),
            next_action_type=next_action.get("type"),
            error_code=error.get("code"),
            decline_code=error.get("decline_code"),
            error_message=error.get("message"),
            order_id=(obj.get("metadata") or {}).get("order_id"),
            payment_method_id=_id_of(obj.get("payment_method")),
        )


def holding_intent_id(gateway: PaymentGateway, kind: str, provider_id: str) -> str:
    """The PaymentIntent holding an attempt's money: the attempt's own, or its Checkout Session's."""
    if kind == AttemptKind.PAYMENT_INTENT:
        return provider_id
    return gateway.retrieve_checkout_session(provider_id).payment_intent_id or ""


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

    def recent_refunds(self, *, created_after: int) -> list[Refund]:
        """Every refund on the account created after `created_after` (unix seconds), newest first."""
        ...

    def create_refund(
        self,
        payment_intent_id: str,
        amount: int | None,
        reason: str | None,
        metadata: Mapping[str, str],
        *,
        idempotency_key: str,
    ) -> Refund:
        """Refund `amount` (None: all that is left) of a PaymentIntent's charge.

        `reason` is Stripe's enum (duplicate, fraudulent, requested_by_customer) or None; free text
        goes in `metadata`. A refusal for good (more than is left to refund) is UpstreamUnavailable
        with code `provider_refused`, as every other provider refusal."""
        ...

    def payment_intent_status(self, payment_intent_id: str) -> str: ...

    def create_payment_intent(self, request: PaymentIntentRequest, *, idempotency_key: str) -> PaymentIntent: ...

    def confirm_payment_intent(
        self, payment_intent_id: str, *, payment_method: str | None, idempotency_key: str
    ) -> PaymentIntent:
        """Raises PaymentRequired (with the intent id) on a decline, PaymentIntentUnexpectedState when the
        intent cannot be confirmed any more (e.g. it already succeeded)."""
        ...

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntent: ...

    def capture_payment_intent(
        self, payment_intent_id: str, *, amount_to_capture: int, idempotency_key: str
    ) -> PaymentIntent: ...

    def cancel_payment_intent(self, payment_intent_id: str, *, idempotency_key: str) -> PaymentIntent: ...

    def verify_webhook(self, payload: bytes, signature_header: str | None) -> WebhookEvent: ...
