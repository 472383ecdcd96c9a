"""Messages shown once, on the page after a redirect; the session carries their ids, the page its words."""

from __future__ import annotations

from comptoir.web.i18n import N_

SIGNED_OUT = "signed_out"
SHOP_SAVED = "shop_saved"
SHOP_CREATED = "shop_created"
MERCHANT_BOUND = "merchant_bound"

FLASHES = {
    SIGNED_OUT: N_("You are signed out. See you soon!"),
    SHOP_SAVED: N_("The shop's settings are saved."),
    SHOP_CREATED: N_("The shop is created. Bind its merchant below."),
    MERCHANT_BOUND: N_("The merchant can now manage this shop."),
}
