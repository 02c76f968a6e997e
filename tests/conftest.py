"""Shared test configuration: fixtures live in tests/fixtures/ and are loaded as plugins.

The garbage collector runs with the settings ``preo-tui`` itself uses once started
(``PreoApp._tune_gc``: young collections at 3000, full ones every 10th older one) instead of
CPython's defaults (700, 10, 10), and everything alive after collection (modules, test items)
is moved out of its scans (``gc.freeze()``). A UI test allocates a great many short-lived
cyclic objects (rendering); with the defaults a worker spent about a third of its CPU in full
collections of its whole heap (measured: 16 of 59 s over tests/ui/test_home.py and
test_shell_nav.py). Nothing is left uncollected: full collections only come less often, as
they do in the app.
"""

from __future__ import annotations

import gc

import pytest

pytest_plugins = [
    "tests.fixtures.sandbox",
    "tests.fixtures.app",
]

#: ``gc.set_threshold`` of the running app (preo_tui/ui/app.py ``PreoApp._tune_gc``).
GC_THRESHOLDS = (3000, 20, 10)


def pytest_configure(config: pytest.Config) -> None:
    gc.set_threshold(*GC_THRESHOLDS)


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.collect()
    gc.freeze()
