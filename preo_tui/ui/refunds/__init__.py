"""Refunds: one feature of the app."""
