"""Adapters of the auth service: HTTP in; user service, keys, token stores out."""
