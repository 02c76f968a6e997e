"""The layering rules of DEVELOPERS.md, enforced.

Static: every module under a package is parsed and its imports (including relative and
function-level ones) are checked against that package's forbidden prefixes. Dynamic: importing
the Textual-free packages in a fresh interpreter must not load ``textual``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "preo_tui"

FORBIDDEN: dict[str, tuple[str, ...]] = {
    "api": ("textual", "preo_tui.ui", "preo_tui.store", "preo_tui.sandbox"),
    "store": ("textual", "preo_tui.ui", "preo_tui.sandbox"),
    "actions": ("textual", "preo_tui.ui", "preo_tui.sandbox"),
    "cel": ("textual", "preo_tui.ui", "preo_tui.sandbox", "preo_tui.api", "preo_tui.store"),
    "sandbox": ("textual", "preo_tui.ui", "preo_tui.api", "preo_tui.store"),
    "config": ("textual", "preo_tui.ui", "preo_tui.sandbox"),
    # The UI never talks HTTP or parses JSON itself: it calls the client through the store.
    "ui": ("httpx", "json", "preo_tui.sandbox"),
    "doctor": ("textual", "preo_tui.ui", "preo_tui.store", "preo_tui.sandbox"),
    "imports_local.py": ("textual", "preo_tui.ui", "preo_tui.sandbox"),
}

#: The layer order, lowest first: a layer may import only the layers below it (and itself).
#: ``sandbox`` is a separate program that shares only ``cel`` (and ``text``, the sanitizer).
#: ``config`` sits above ``api``: it parses operation overrides with the registry's parser.
LAYERS: tuple[str, ...] = ("text", "cel", "api", "config", "store", "actions", "doctor", "ui")


def _module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(path: Path, root: Path = ROOT) -> set[str]:
    """Every absolute module name ``path`` imports, with relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = _module_name(path, root).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            names.add(mod)
            names.update(f"{mod}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "__import__"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value))
    return names


def violations(target: str, root: Path = ROOT) -> list[str]:
    path = root / target
    files = [path] if path.is_file() else sorted(path.rglob("*.py"))
    found = []
    for file in files:
        for name in sorted(imported_names(file, root)):
            for bad in FORBIDDEN[target]:
                if name == bad or name.startswith(bad + "."):
                    found.append(f"{file.relative_to(root.parent)} imports {name}")
    return found


@pytest.mark.parametrize("target", sorted(FORBIDDEN))
def test_layer_imports(target: str) -> None:
    assert (ROOT / target).exists(), f"{target} moved: update FORBIDDEN"
    assert violations(target) == []


@pytest.mark.parametrize(
    "module",
    [
        "preo_tui.api",
        "preo_tui.store",
        "preo_tui.actions",
        "preo_tui.cel",
        "preo_tui.config",
        "preo_tui.doctor",
        "preo_tui.imports_local",
    ],
)
def test_textual_free_at_runtime(module: str) -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        f"m = importlib.import_module({module!r})\n"
        "if hasattr(m, '__path__'):\n"
        "    for info in pkgutil.walk_packages(m.__path__, m.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "bad = sorted(k for k in sys.modules if k == 'textual' or k.startswith('textual.'))\n"
        "print(bad[:3]); sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_checker_catches_forbidden_imports(tmp_path: Path) -> None:
    """The test of the test: a planted forbidden import in each layer is reported."""
    root = tmp_path / "preo_tui"
    for pkg in ("api", "store", "actions", "cel", "sandbox"):
        (root / pkg / "deep").mkdir(parents=True)
        (root / pkg / "__init__.py").write_text("")
        (root / pkg / "deep" / "__init__.py").write_text("")
    (root / "api" / "deep" / "m.py").write_text(
        "def f():\n    from textual.widgets import Static\n"
    )
    (root / "store" / "m.py").write_text("import textual\n")
    (root / "actions" / "m.py").write_text("from preo_tui.ui.base import PreoScreen\n")
    (root / "cel" / "m.py").write_text("from ..ui import app\n")
    (root / "sandbox" / "deep" / "m.py").write_text("from ...ui.refunds import screen\n")
    (root / "config").mkdir()
    (root / "config" / "load.py").write_text("__import__('textual')\n")
    (root / "doctor").mkdir()
    (root / "doctor" / "checks.py").write_text("from ..ui.doctor import screen\n")
    assert violations("api", root) == [
        "preo_tui/api/deep/m.py imports textual.widgets",
        "preo_tui/api/deep/m.py imports textual.widgets.Static",
    ]
    assert violations("store", root) == ["preo_tui/store/m.py imports textual"]
    assert "preo_tui/actions/m.py imports preo_tui.ui.base" in violations("actions", root)
    assert "preo_tui/cel/m.py imports preo_tui.ui" in violations("cel", root)
    assert "preo_tui/sandbox/deep/m.py imports preo_tui.ui.refunds.screen" in violations(
        "sandbox", root
    )
    assert violations("config", root) == ["preo_tui/config/load.py imports textual"]
    assert "preo_tui/doctor/checks.py imports preo_tui.ui.doctor" in violations("doctor", root)


def _first_party_layer(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] != "preo_tui" or len(parts) < 2:
        return None
    return parts[1]


def layer_order_violations(root: Path = ROOT) -> list[str]:
    """Imports that go up the layer order of :data:`LAYERS`."""
    found = []
    for index, layer in enumerate(LAYERS):
        path = root / layer
        files = [path.with_suffix(".py")] if path.with_suffix(".py").is_file() else []
        files += sorted(path.rglob("*.py")) if path.is_dir() else []
        above = set(LAYERS[index + 1 :]) | {"sandbox"}
        for file in files:
            for name in sorted(imported_names(file, root)):
                target = _first_party_layer(name)
                if target in above:
                    found.append(f"{file.relative_to(root.parent)} imports {name}")
    return found


def test_layer_order() -> None:
    assert layer_order_violations() == []


def test_layer_order_checker_catches_an_upward_import(tmp_path: Path) -> None:
    root = tmp_path / "preo_tui"
    (root / "api").mkdir(parents=True)
    (root / "api" / "m.py").write_text("from preo_tui.store import core\n")
    (root / "cel").mkdir()
    (root / "cel" / "m.py").write_text("from preo_tui import api\n")
    assert layer_order_violations(root) == [
        "preo_tui/cel/m.py imports preo_tui.api",
        "preo_tui/api/m.py imports preo_tui.store",
        "preo_tui/api/m.py imports preo_tui.store.core",
    ]


def url_literals(root: Path = ROOT) -> list[str]:
    """String literals in ``ui/`` that look like API paths: the UI never builds URLs."""
    found = []
    for file in sorted((root / "ui").rglob("*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        docstrings = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        }
        for node in ast.walk(tree):
            if id(node) in docstrings:
                continue
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and ("/v1/" in node.value or node.value.startswith("/v1"))
            ):
                found.append(f"{file.relative_to(root.parent)}:{node.lineno}")
    return found


def test_ui_has_no_api_paths() -> None:
    assert url_literals() == []


def test_ui_checks_catch_http_json_and_paths(tmp_path: Path) -> None:
    root = tmp_path / "preo_tui"
    (root / "ui" / "x").mkdir(parents=True)
    (root / "ui" / "x" / "s.py").write_text(
        "import json\nimport httpx\n"
        "def f(base):\n    return httpx.get(f'{base}/v1/orders').json()\n"
    )
    assert violations("ui", root) == [
        "preo_tui/ui/x/s.py imports httpx",
        "preo_tui/ui/x/s.py imports json",
    ]
    assert url_literals(root) == ["preo_tui/ui/x/s.py:4"]
