"""Home: one feature of the app."""
