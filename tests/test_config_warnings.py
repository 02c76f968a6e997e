"""Configuration warnings name the right line: keys found through quoted names and past
multi-line strings, profiles with bad names, a server for the sandbox, a custom profile
without a server, and a syntax error at the very end of the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from preo_tui.config import load_settings
from preo_tui.config.validate import locate_key

TEXT = """\
# comment
[app]
theme = "dark"
notes = \"\"\"
[profiles.fake]
server = 1
\"\"\"
[profiles."my lab"]
server = "https://lab.example"
'my key' = 3
[profiles.sandbox]
server = "https://x.example"
[profiles.custom]
read_only = true
"""


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("CONFIG", "DATA", "CACHE"):
        monkeypatch.setenv(f"PREO_{name}_DIR", str(tmp_path / name.lower()))
    for name in ("PREO_PROFILE", "PREO_SERVER", "PREO_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_locate_key_through_quotes_and_multiline_strings() -> None:
    assert locate_key(TEXT, ("app", "theme")) == 3
    assert locate_key(TEXT, ("profiles", "my lab", "server")) == 9
    assert locate_key(TEXT, ("profiles", "my lab", "my key")) == 10
    # Inside a multi-line string: not a table.
    assert locate_key(TEXT, ("profiles", "fake", "server")) is None
    # A missing key: its nearest enclosing table.
    assert locate_key(TEXT, ("profiles", "custom", "server")) == 13
    assert locate_key(TEXT, ("nothing",)) is None


def test_each_warning_names_its_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(TEXT)
    loaded = load_settings(path)
    warnings = [(w.line, w.field, w.message) for w in loaded.warnings]
    assert (
        8,
        "profiles.my lab",
        "'my lab' is not a profile name (letters, digits, '-' and '_'); ignored",
    ) in warnings
    assert (4, "app.notes", "unknown setting, ignored") in warnings
    assert (
        12,
        "profiles.sandbox.server",
        "the sandbox's server is chosen when it starts; ignored",
    ) in warnings
    assert (
        13,
        "profiles.custom.server",
        "a custom profile needs a server URL; profile ignored",
    ) in warnings
    assert "custom" not in loaded.settings.profiles
    assert loaded.settings.app.theme == "dark"


def test_a_syntax_error_at_the_end_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('a = "unterminated')
    loaded = load_settings(path)
    assert loaded.unparsable is not None
    assert loaded.unparsable.message == (
        "TOML syntax error: unterminated string (at the end of the file); using defaults"
    )
