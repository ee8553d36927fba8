"""Driving adapters: the HTTP API and the order-events consumer."""
