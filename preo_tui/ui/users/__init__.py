"""Users: one feature of the app."""
