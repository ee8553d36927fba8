"""Adapters: HTTP in, database and password hashing out."""
