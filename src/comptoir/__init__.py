"""comptoir: a self-hostable order-and-payment service for small shops."""

__version__ = "0.1.0"
