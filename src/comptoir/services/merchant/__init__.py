"""The merchant's side of an order.

- list, ready, complete, payment at the counter: `merchant.workflow.mark_ready` / `complete` / `collect_payment`
- a refund is reserved and made, an order refused: `merchant.refunds.refund` / `refuse`
- the live feed of the shop's order events: `merchant.feed.FeedHub.subscribe` (streams), `open_cursor` / `read_events`
- the counter board (columns new, to prepare, ready, collected; seen, ready, refuse, hand over): `merchant.board`
"""
