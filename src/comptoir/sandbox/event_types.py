"""The event types a webhook endpoint may subscribe to.

Stripe refuses ``enabled_events`` it does not know. The list is the one stripe-python 16.1.0
(the SDK pinned in constraints.txt, API version 2026-10-28.endive) types for
``WebhookEndpoint.create``: read from the SDK rather than copied, so it follows the pin.
"""

from __future__ import annotations

import typing
from functools import cache

from stripe.params._webhook_endpoint_create_params import WebhookEndpointCreateParams


@cache
def known_event_types() -> frozenset[str]:
    annotation: typing.Any = WebhookEndpointCreateParams.__annotations__["enabled_events"]
    while typing.get_origin(annotation) is not typing.Literal:
        annotation = typing.get_args(annotation)[0]
    return frozenset(typing.get_args(annotation))
