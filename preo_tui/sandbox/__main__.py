"""``python -m preo_tui.sandbox`` = ``preo-sandbox``."""

from .cli import main

main()
