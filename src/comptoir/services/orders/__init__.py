"""Orders: placing, reading, cancelling and expiring them, and the one way their status moves.

- an order is placed (server prices, stock hold), read, cancelled, its hold expired: `orders.ordering.place_order`,
  `get_my_order`, `cancel_order`, `release_expired_holds`
- a status axis moves, with its history row, and stock is released: `orders.state.change_status` / `cancel`
- an order read with its provider references (seed APIs): `orders.payment_facts.my_order_with_payments`
"""
