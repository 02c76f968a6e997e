"""Segments: one feature of the app."""
