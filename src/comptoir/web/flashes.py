"""Messages shown once, on the page after a redirect; the session carries their ids, the page its words."""

from __future__ import annotations

from comptoir.web.i18n import N_

SIGNED_OUT = "signed_out"
WEIGHED = "weighed"
REFUNDED = "refunded"

FLASHES = {
    SIGNED_OUT: N_("You are signed out. See you soon!"),
    WEIGHED: N_("Weighed: the card was charged the new total and the customer is told the order is ready."),
    REFUNDED: N_("Refund sent: the customer is told."),
}
