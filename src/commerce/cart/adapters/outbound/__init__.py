"""What the cart service drives: its stores, the order and product services."""
