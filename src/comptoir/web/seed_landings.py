"""The seeds' own addresses for our checkout landing pages (the pages Stripe sends the browser back to).

They live here rather than beside the seeds' API routes in `api/compat/`, so that the pages (which
use the API's dependencies) sit above the API and nothing in `api/` imports `web/`.
"""

from __future__ import annotations

from fastapi import APIRouter

from comptoir.web import pages

porsche = APIRouter(include_in_schema=False)
"""Seed 000: the pages Stripe sends the browser back to: ours (they re-read the session from Stripe)."""
porsche.add_api_route("/success", pages.checkout_success, methods=["GET"])
porsche.add_api_route("/cancel", pages.checkout_cancel, methods=["GET"])

klikandgo = APIRouter(include_in_schema=False)
"""Seed 002: the confirmation page re-reads the session from Stripe (ours); `/panier` is our cancel page."""
klikandgo.add_api_route("/commande/{order_id}/confirmation", pages.checkout_success, methods=["GET"])
klikandgo.add_api_route("/panier", pages.checkout_cancel, methods=["GET"])
