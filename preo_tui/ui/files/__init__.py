"""The organization's files."""
