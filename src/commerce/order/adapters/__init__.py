"""Adapters between the order service's use cases and the outside world."""
