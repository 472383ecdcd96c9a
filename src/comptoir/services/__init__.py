"""Use cases, grouped by concept. One function = one use case = one transaction (or a few short ones
around one provider call). Services import `comptoir.domain` and `comptoir.records`, and reach the
database, Stripe, mail and hashing only through the Protocols in `services.ports`.

- `orders/`: placing, reading, cancelling orders; `order_state`: the one way an order's status moves
- `payments/`: Checkout, cards, webhooks, fulfilment, the ledger, refunds, duplicates
- `merchant/`: the merchant's workflow, refunds and refusals, the live feed
- `messages/`: notifications written to the outbox, and the outbox's sending
- `reconciliation`: repairing what webhooks missed, and sweeping expired stock holds
- `accounts` (+ `tokens`, `login_guard`), `catalog`, `views` (what services hand back), `demo`
"""
