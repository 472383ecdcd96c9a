"""Builders for Stripe objects, with the key sets of Stripe's published fixtures (fixtures3.json)."""
