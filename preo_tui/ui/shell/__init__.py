"""Shell: one feature of the app."""
