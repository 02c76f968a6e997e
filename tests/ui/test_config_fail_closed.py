"""Issue 14, item 2: a config file that cannot be parsed fails closed.

Before: a TOML syntax error dropped the whole file (``read_only = true`` on production
included), production became writable with a 12-second toast, and ``--profile local`` (a
profile only the broken file defined) said "unknown profile" without the syntax error.
"""

from __future__ import annotations

from typing import Any

import pytest

from preo_tui.config import load_settings
from preo_tui.ui import cli
from tests.fixtures.app import Dirs

BROKEN = """\
[profiles.production]
read_only = true

[profiles.local]
server = "http://127.0.0.1:9000"
theme = "nord
"""


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    apps: list[Any] = []

    def fake_run(self: Any, *args: Any, **kwargs: Any) -> None:
        apps.append(self)

    from preo_tui.ui.app import PreoApp

    monkeypatch.setattr(PreoApp, "run", fake_run)
    return apps


def test_item_2_syntax_error_stops_the_app_with_file_line_and_column(
    isolated_dirs: Dirs, launched: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    isolated_dirs.config_file.write_text(BROKEN)
    for argv in (["--profile", "production"], ["--profile", "local"], []):
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert f"{isolated_dirs.config_file}:6:" in err, err
        assert "syntax error" in err.lower() and "unknown profile" not in err
    assert launched == []  # nothing started, nothing connected


def test_item_2_profile_fully_defined_on_the_command_line_runs_production_read_only(
    isolated_dirs: Dirs, launched: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    isolated_dirs.config_file.write_text(BROKEN)
    assert cli.main(["--server", "https://api.preo.cloud"]) == 0
    app = launched[-1]
    assert app.profile.is_production and app.profile.read_only
    assert any("read-only until" in str(w) for w in app.config.warnings)
    monkeypatch.setenv("PREO_SERVER", "https://api-staging.preo.dev")
    assert cli.main([]) == 0
    assert not launched[-1].profile.read_only  # only production is forced read-only


def test_item_2_invalid_read_only_value_fails_closed(isolated_dirs: Dirs) -> None:
    isolated_dirs.config_file.write_text('[profiles.production]\nread_only = "maybe"\n')
    result = load_settings(isolated_dirs.config_file)
    assert result.settings.profile("production").read_only
    assert any(w.field == "profiles.production" for w in result.warnings)


def test_item_2_config_check_prints_every_problem_and_exits_non_zero(
    isolated_dirs: Dirs, capsys: pytest.CaptureFixture[str]
) -> None:
    path = isolated_dirs.config_file
    path.write_text(BROKEN)
    assert cli.main(["config", "check"]) == 1
    out = capsys.readouterr().out
    assert f"{path}:6:" in out and "syntax error" in out.lower()
    path.write_text('[app]\nrefresh_interval = "fast"\ncolour = 1\n[profiles.x]\ntheme = 1\n')
    assert cli.main(["config", "check"]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) >= 3
    assert any(":2: app.refresh_interval" in line for line in lines)
    assert any(":3: app.colour" in line for line in lines)
    path.write_text('[app]\ntheme = "nord"\n')
    assert cli.main(["config", "check"]) == 0
    assert "OK" in capsys.readouterr().out
