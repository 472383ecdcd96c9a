"""Who is acting: every use case receives an Actor, built by the API from a verified token."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    CUSTOMER = "customer"
    MERCHANT = "merchant"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Actor:
    """A person with a role, or the system itself (`Actor.system("webhook")`: no role, no user)."""

    user_id: int
    email: str
    role: Role | None
    shop_ids: frozenset[int] = field(default_factory=frozenset)
    system_name: str = ""

    @classmethod
    def system(cls, name: str) -> Actor:
        """The system acting on its own (a webhook, the reconciler, hold expiry): it owns no order
        and is merchant of no shop, so it can only be named in history, never authorised."""
        return cls(user_id=0, email="", role=None, system_name=name)

    @property
    def label(self) -> str:
        """How history rows name this actor, e.g. "customer:12" or "system:webhook"."""
        if self.role is None:
            return f"system:{self.system_name}"
        return f"{self.role.value}:{self.user_id}"

    @property
    def source(self) -> str:
        """How a ledger row names where a fact came from: a system actor's name ("webhook",
        "reconciler"), or a person's label."""
        return (self.system_name if self.role is None else self.label)[:32]

    def is_merchant_of(self, shop_id: int) -> bool:
        return self.role is Role.ADMIN or (self.role is Role.MERCHANT and shop_id in self.shop_ids)


SYSTEM_EXPIRY = Actor.system("expiry")
SYSTEM_WEBHOOK = Actor.system("webhook")
SYSTEM_RECONCILER = Actor.system("reconciler")
SYSTEM_SUCCESS_PAGE = Actor.system("success_page")
