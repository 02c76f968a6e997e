"""Campaigns: one feature of the app."""
