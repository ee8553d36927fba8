"""Outbound adapters: SQLAlchemy tables and repository, argon2 hashing."""
