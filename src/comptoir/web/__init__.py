"""Pages people see: where Stripe sends the customer back after paying or cancelling."""
