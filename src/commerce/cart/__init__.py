"""The cart service: one cart per user, a local view of the catalog, checkout into an order."""
