"""Every ``type: ignore`` in the package names its error code and says why in a comment."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "preo_tui"
WITH_REASON = re.compile(r"type: ignore\[[a-z-]+(, ?[a-z-]+)*\]\s+#\s*\S")


def unexplained(root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "type: ignore" in line and not WITH_REASON.search(line):
                found.append(f"{path.relative_to(root.parent)}:{number}")
    return found


def test_every_type_ignore_has_a_code_and_a_reason() -> None:
    assert unexplained() == []


def test_the_check_sees_a_bare_ignore(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "a = 1  # type: ignore\n"
        "b = 2  # type: ignore[misc]\n"
        "c = 3  # type: ignore[misc]  # the reason\n"
    )
    assert unexplained(tmp_path) == [f"{tmp_path.name}/m.py:1", f"{tmp_path.name}/m.py:2"]
