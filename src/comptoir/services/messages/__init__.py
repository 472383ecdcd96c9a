"""Messages that leave the process: written to the outbox with the change that caused them, sent later.

- a message is queued in the caller's transaction: `messages.notifications.queue_paid_order` and the other `queue_*`
- the outbox is sent, with a lease and backoff: `messages.outbox.dispatch_due`
"""
