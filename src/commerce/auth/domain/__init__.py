"""Refresh token families and their rules, in plain Python."""
