"""Journal: one feature of the app."""
