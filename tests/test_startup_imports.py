"""What the start-up imports before the first frame (issue 20): the modules the first frame
does not need are loaded after it. Checked in a fresh interpreter (this one has imported
everything already)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: What ``preo-tui`` does before the first frame, up to opening the cache of the user whose
#: tokens are stored (cli._run_app, then PreoApp's start-up: see app_session._stored_tokens).
FIRST_FRAME = r"""
import sys
from preo_tui.ui.cli import _resolve, build_parser
from preo_tui.credentials import CredentialStore
from preo_tui.ui.app import PreoApp
from preo_tui.ui.home.screen import HomeScreen
from preo_tui.store import open_store

_, _, profile = _resolve(build_parser().parse_args(["--server", "http://127.0.0.1:9"]))
store = CredentialStore()
store.user_hint(profile)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"keyring", "jeepney", "secretstorage"})
print(",".join(loaded))
"""


def test_the_keyring_is_not_loaded_before_the_first_frame(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PREO_") and key != "PYTHONPATH"
    }
    for name in ("CONFIG", "DATA", "CACHE"):
        env[f"PREO_{name}_DIR"] = str(tmp_path / name.lower())
    done = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"loaded before the first frame: {done.stdout.strip()}"
