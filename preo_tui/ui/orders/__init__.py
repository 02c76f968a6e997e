"""Orders: one feature of the app."""
