"""Inbound adapters: the public and the internal HTTP API."""
