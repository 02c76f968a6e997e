"""DEVELOPERS.md's layout tree names every package and feature folder the code has."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tree_block() -> str:
    text = (ROOT / "DEVELOPERS.md").read_text(encoding="utf-8")
    match = re.search(r"## Layout and boundaries\s+```\n(.*?)```", text, flags=re.S)
    assert match, "DEVELOPERS.md has no layout tree"
    return match.group(1)


def undocumented(root: Path, tree: str) -> list[str]:
    missing = []
    for base in (root / "preo_tui", root / "preo_tui" / "ui"):
        for path in sorted(base.iterdir()):
            if path.name.startswith(("_", ".")):
                continue
            if path.is_dir() and (path / "__init__.py").exists():
                name = f"{path.name}/"
            elif path.suffix == ".py" and base.name == "preo_tui":
                name = path.name
            else:
                continue
            if not re.search(rf"(^|\s){re.escape(name)}", tree, flags=re.M):
                missing.append(str(path.relative_to(root)))
    return missing


def test_the_layout_tree_names_every_package_and_feature() -> None:
    assert undocumented(ROOT, tree_block()) == []


def test_the_check_sees_a_missing_folder(tmp_path: Path) -> None:
    (tmp_path / "preo_tui" / "ui" / "newfeature").mkdir(parents=True)
    (tmp_path / "preo_tui" / "ui" / "newfeature" / "__init__.py").write_text("")
    (tmp_path / "preo_tui" / "extra.py").write_text("")
    assert undocumented(tmp_path, "preo_tui/\n  ui/\n") == [
        "preo_tui/extra.py",
        "preo_tui/ui/newfeature",
    ]
