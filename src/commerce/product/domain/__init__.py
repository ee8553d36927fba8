"""The catalog's business rules in plain Python: products, stock and reservations."""
