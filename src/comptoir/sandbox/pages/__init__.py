"""Pages people see: the hosted Checkout page, the 3-D Secure challenge, the Stripe.js stand-in and
the dashboard at ``/``.

Mount them with ``create_sandbox_app(config, extra_routes=page_routes())``. They change state
only through the engine's internal API (``request.app.state.sandbox``).
"""

from __future__ import annotations

from starlette.routing import Route

from .checkout_page import CheckoutPages
from .dashboard import DashboardPages
from .stripe_js import stripe_js
from .three_ds_page import ThreeDSPages
from .tokens import FormTokens


def page_routes(tokens: FormTokens | None = None) -> list[Route]:
    tokens = tokens or FormTokens()
    checkout = CheckoutPages(tokens)
    three_ds = ThreeDSPages(tokens)
    dashboard = DashboardPages(tokens)
    return [
        Route("/", dashboard.show, methods=["GET"], name="dashboard"),
        Route("/dashboard/payments/{pi_id}/refund", dashboard.refund, methods=["POST"], name="dashboard_refund"),
        Route("/dashboard/deliveries/resend", dashboard.resend, methods=["POST"], name="dashboard_resend"),
        Route("/c/pay/{cs_id}", checkout.show, methods=["GET"], name="hosted_checkout"),
        Route("/c/pay/{cs_id}", checkout.submit, methods=["POST"], name="hosted_checkout_submit"),
        Route("/3ds/{pi_id}", three_ds.show, methods=["GET"], name="three_ds"),
        Route("/3ds/{pi_id}", three_ds.submit, methods=["POST"], name="three_ds_submit"),
        Route("/js/v3", stripe_js, methods=["GET"], name="stripe_js"),
        Route("/v3/", stripe_js, methods=["GET"], name="stripe_js_alias"),
        Route("/v3", stripe_js, methods=["GET"], name="stripe_js_alias_bare"),
    ]


__all__ = ["FormTokens", "page_routes"]
