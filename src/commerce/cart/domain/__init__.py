"""The cart and the catalog view as plain Python: no framework, no storage."""
