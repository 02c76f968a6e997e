"""Reusable widgets: tables, panes, modals, editors."""
