"""The async, typed, resilient Preo API client.

One module per resource of the contract, pydantic models, the error hierarchy, paging and
auth. It may import httpx, pydantic, tenacity and the standard library; never Textual, never
``preo_tui.ui``, ``preo_tui.store`` or ``preo_tui.sandbox``.
"""
