"""The ``preo-tui`` command line: options, environment overrides, config/login/logout, and clear
one-line errors (exit status 2) instead of tracebacks."""

from __future__ import annotations

import stat
import subprocess
import sys
from typing import Any

import pytest

from preo_tui.credentials import CredentialStore
from preo_tui.ui import cli
from tests.fixtures.app import Dirs


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Capture the app ``preo-tui`` would run instead of running it."""
    apps: list[Any] = []

    def fake_run(self: Any, *args: Any, **kwargs: Any) -> None:
        apps.append(self)

    from preo_tui.ui.app import PreoApp

    monkeypatch.setattr(PreoApp, "run", fake_run)
    return apps


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("preo-tui ")


def test_unknown_profile_is_one_clear_line(
    isolated_dirs: Dirs, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--profile", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("preo-tui: unknown profile 'nope'")
    assert "Traceback" not in err


def test_bad_server_url(isolated_dirs: Dirs, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--server", "ftp://x"]) == 2
    assert "must start with http:// or https://" in capsys.readouterr().err


def test_server_token_env_and_read_only(
    isolated_dirs: Dirs, launched: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_TOKEN", "tok-123")
    assert (
        cli.main(["--server", "https://api.preo.cloud", "--token-env", "MY_TOKEN", "--read-only"])
        == 0
    )
    app = launched[0]
    assert app.profile.server == "https://api.preo.cloud"
    assert app.profile.read_only
    assert app.profile.token_env == "MY_TOKEN"
    assert app.ctx.is_production
    assert app.sandbox is None
    assert app.use_watchdog


def test_environment_overrides(
    isolated_dirs: Dirs, launched: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREO_PROFILE", "staging")
    assert cli.main([]) == 0
    assert launched[-1].profile.name == "staging"
    monkeypatch.setenv("PREO_SERVER", "https://preo.example.com")
    assert cli.main([]) == 0
    assert launched[-1].profile.server == "https://preo.example.com"


def test_sandbox_flag_hands_a_sandbox_to_the_app_and_stops_it(
    isolated_dirs: Dirs, launched: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from preo_tui.ui import sandbox_process

    events: list[str] = []
    monkeypatch.setattr(
        sandbox_process.SandboxProcess, "start", lambda self: events.append("start") or self
    )
    monkeypatch.setattr(sandbox_process.SandboxProcess, "stop", lambda self: events.append("stop"))
    assert cli.main(["--sandbox"]) == 0
    app = launched[0]
    assert app.profile.sandbox
    assert app.sandbox is not None
    assert str(app.sandbox.db_path).startswith(str(isolated_dirs.data))
    # Started by the app (at once, or after a cached first frame), stopped by the command.
    assert events == ["stop"]


def test_config_path(isolated_dirs: Dirs, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["config", "path"]) == 0
    out = capsys.readouterr().out
    assert str(isolated_dirs.config_file) in out
    assert "credentials: file" in out


def test_config_edit_writes_defaults_and_validates(
    isolated_dirs: Dirs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EDITOR", "true")
    assert cli.main(["config", "edit"]) == 0
    assert isolated_dirs.config_file.exists()
    assert capsys.readouterr().out.strip().endswith(": OK")


def test_login_with_token_and_logout(
    isolated_dirs: Dirs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("preo_tui.ui.cli.getpass.getpass", lambda prompt="": "secret-token")
    assert cli.main(["--profile", "staging", "login", "--method", "token"]) == 0
    out = capsys.readouterr().out
    assert "secret-token" not in out
    store = CredentialStore(isolated_dirs.data)
    tokens = store.get("staging", "https://api-staging.preo.dev")
    assert tokens is not None and tokens.access == "secret-token"
    mode = stat.S_IMODE(store.file.path.stat().st_mode)
    assert mode == 0o600
    assert cli.main(["--profile", "staging", "logout"]) == 0
    assert "Signed out of staging" in capsys.readouterr().out
    assert store.get("staging", "https://api-staging.preo.dev") is None


def test_console_script_is_wired() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from preo_tui.ui.cli import main; raise SystemExit(main(['--profile', 'x']))",
        ],
        capture_output=True,
        text=True,
        env={"PREO_CONFIG_DIR": "/nonexistent-preo", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("preo-tui: unknown profile 'x'")
