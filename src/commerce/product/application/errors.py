"""Failures of the application layer that are not business rules."""

from __future__ import annotations


class StockChanged(Exception):
    """The database refused a stock change the locked rows allowed: retry the whole message."""


class AnsweredMeanwhile(Exception):
    """Another transaction recorded this order's answer first (a concurrent re-drive):
    a fresh attempt reads that answer and repeats it."""
