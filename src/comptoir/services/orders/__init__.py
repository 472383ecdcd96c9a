"""Orders as the customer sees them: placing, reading, cancelling, expiring their stock holds.

- an order is placed (server prices, stock hold), read, cancelled, its hold expired: `orders.ordering.place_order`,
  `get_my_order`, `cancel_order`, `release_expired_holds`
- an order read with its provider references (seed APIs): `orders.payment_facts.my_order_with_payments`

The one way an order's status axes move (with their history rows) is `services.order_state`,
below this package: payments, the merchant and ordering all move orders through it.
"""
