"""Payments: how money for an order is asked for, recorded once, given back and repaired.

Where each use case lives (import the module you need; nothing is re-exported here):

- a Checkout Session is started, and the success/cancel landings: `payments.checkout.start_checkout`
- a card is paid on the server (`/pay`, 3-D Secure): `payments.cards.pay_order`
- a webhook is applied exactly once, or replayed: `payments.webhooks.ingest` / `ingest_many` / `replay`
- a session or PaymentIntent moves an order: `payments.fulfilment.fulfil_checkout` and its `apply_*`
- money is recorded and the payment status derived: `payments.ledger.receive_payment` (a provider
  payment) / `record_entry` / `sync_payment_status`
- weighed goods are captured: `payments.capture.capture_weighed`
- an order's open paths are closed before a cancel: `payments.paths.close_payment_paths`
- money an order is not owed is given back: `payments.duplicates.refund_duplicates`
- the provider's refunds flow into the ledger: `payments.refunds.sync_refunds`
- the port to Stripe and the values it returns: `payments.provider.PaymentGateway`

What webhooks missed is repaired by `services.reconciliation.reconcile`, above this package and
`orders/` (it also sweeps expired stock holds).
"""
