"""The test run collects garbage with the app's own settings (tests/conftest.py)."""

from __future__ import annotations

import gc

from preo_tui.ui.app import PreoApp
from tests.conftest import GC_THRESHOLDS


def test_tests_collect_garbage_as_the_app_does() -> None:
    assert gc.isenabled()
    assert gc.get_threshold() == GC_THRESHOLDS
    assert gc.get_freeze_count() > 0  # what collection left alive is out of the scans
    PreoApp._tune_gc()  # what the running app sets once started
    assert gc.get_threshold() == GC_THRESHOLDS
