"""Driven adapters: SQL tables, repositories, queries and the outbox writer."""
