"""Plumbing shared by every service. Never one service's business rules."""
