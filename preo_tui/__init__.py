"""preo-tui: a keyboard-first terminal dashboard for Preo operators, and its local sandbox API.

Sub-packages: ``api`` (async client), ``store`` (cached state), ``cel`` (CEL checking and
evaluation), ``sandbox`` (the local Preo API server) and ``ui`` (the Textual app).
"""

__version__ = "0.1.0"
