"""Messages shown once, on the page after a redirect; the session carries their ids, the page its words."""

from __future__ import annotations

from comptoir.web.i18n import N_

SIGNED_OUT = "signed_out"
WEIGHED = "weighed"
REFUNDED = "refunded"
SHOP_SAVED = "shop_saved"
SHOP_CREATED = "shop_created"
MERCHANT_BOUND = "merchant_bound"
PRODUCT_CREATED = "product_created"
PRODUCT_SAVED = "product_saved"
STOCK_ADJUSTED = "stock_adjusted"
IMAGE_SAVED = "image_saved"

FLASHES = {
    SIGNED_OUT: N_("You are signed out. See you soon!"),
    WEIGHED: N_("Weighed: the card was charged the new total and the customer is told the order is ready."),
    REFUNDED: N_("Refund sent: the customer is told."),
    SHOP_SAVED: N_("The shop's settings are saved."),
    SHOP_CREATED: N_("The shop is created. Bind its merchant below."),
    MERCHANT_BOUND: N_("The merchant can now manage this shop."),
    PRODUCT_CREATED: N_("The product is created. Add a picture if you like."),
    PRODUCT_SAVED: N_("The product is saved."),
    STOCK_ADJUSTED: N_("The stock is updated."),
    IMAGE_SAVED: N_("The picture is saved."),
}
