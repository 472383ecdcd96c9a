"""An offline, Stripe-compatible sandbox (see NOTES.md). Imports nothing else from comptoir."""

from .checkout import CheckoutResult
from .config import SandboxConfig
from .engine import Sandbox
from .errors import StripeError
from .http.app import create_sandbox_app

__all__ = ["CheckoutResult", "Sandbox", "SandboxConfig", "StripeError", "create_sandbox_app"]
