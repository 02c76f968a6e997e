"""Data imports: the list, the import wizard, external orders."""
