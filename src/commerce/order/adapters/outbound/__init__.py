"""What the order service drives: its database (orders, outbox, inbox)."""
