"""Emails: one feature of the app."""
