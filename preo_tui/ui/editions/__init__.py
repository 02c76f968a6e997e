"""Editions: one feature of the app."""
