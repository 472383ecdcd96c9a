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
    user_id: int
    email: str
    role: Role
    shop_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def label(self) -> str:
        """How history rows name this actor, e.g. "customer:12"."""
        return f"{self.role.value}:{self.user_id}"

    def is_merchant_of(self, shop_id: int) -> bool:
        return self.role is Role.ADMIN or (self.role is Role.MERCHANT and shop_id in self.shop_ids)


SYSTEM_EXPIRY = "system:expiry"
SYSTEM_WEBHOOK = "system:webhook"
SYSTEM_RECONCILER = "system:reconciler"
SYSTEM_SUCCESS_PAGE = "system:success_page"
