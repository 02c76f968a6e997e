"""The Textual app: screens, widgets, styles, keymap, commands and the ``preo-tui`` CLI.

It reaches data only through ``preo_tui.store`` and ``preo_tui.api`` (typed models, never
URLs or JSON) and reads settings from ``preo_tui.config``; it never imports
``preo_tui.sandbox`` except to launch an embedded sandbox process from the CLI.
"""
