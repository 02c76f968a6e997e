"""``preo-tui`` subcommands an operator runs outside the app: ``--operations``, ``config``
edge cases, ``login`` by password and by PIN (against the in-process sandbox), ``doctor``'s
refusals, and the one-line errors (exit status 2) when a sandbox cannot start."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any

import pytest

from preo_tui.credentials import CredentialStore
from preo_tui.ui import cli, sandbox_process
from tests.fixtures.app import Dirs, SandboxBackend

STAGING = "https://api-staging.preo.dev"


@pytest.fixture
def sandboxed_client(monkeypatch: pytest.MonkeyPatch, sandbox_backend: SandboxBackend) -> None:
    """``preo-tui login`` builds its own client: reach the in-process sandbox through it."""
    import preo_tui.api as api

    real = api.PreoClient

    def client(*args: Any, **kwargs: Any) -> Any:
        return real(*args, transport=sandbox_backend.transport(), **kwargs)

    monkeypatch.setattr(api, "PreoClient", client)


def answers(monkeypatch: pytest.MonkeyPatch, reply: Callable[[str], str]) -> list[str]:
    """Answer ``input``/``getpass`` prompts with ``reply(prompt)``; returns the prompts."""
    prompts: list[str] = []

    def ask(prompt: str = "") -> str:
        prompts.append(prompt)
        return reply(prompt)

    monkeypatch.setattr("builtins.input", ask)
    monkeypatch.setattr("preo_tui.ui.cli.getpass.getpass", ask)
    return prompts


def test_operations_lists_the_map(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--operations"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("operation")
    assert "refunds" in out


def test_version_falls_back_to_the_package_constant(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    from preo_tui import __version__

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert cli._version() == __version__


def test_ctrl_c_exits_130(isolated_dirs: Dirs, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(args: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_run", interrupted)
    assert cli.main([]) == 130


def test_config_check_without_a_file(
    isolated_dirs: Dirs, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["config", "check"]) == 0
    assert "no configuration file (the defaults are used)" in capsys.readouterr().out


def test_config_edit_errors_and_warnings(
    isolated_dirs: Dirs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    # No $EDITOR and neither nano nor vi on the PATH.
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert cli.main(["config", "edit"]) == 2
    assert "no editor found: set $EDITOR" in capsys.readouterr().err
    # An editor that does not exist.
    monkeypatch.setenv("EDITOR", "/nonexistent/editor --wait")
    assert cli.main(["config", "edit"]) == 2
    assert "cannot start the editor '/nonexistent/editor --wait'" in capsys.readouterr().err
    # The edited file has a bad value: warned about, not OK.
    isolated_dirs.config_file.write_text("[app]\ntheme = 42\n")
    monkeypatch.setenv("EDITOR", "true")
    assert cli.main(["config", "edit"]) == 0
    captured = capsys.readouterr()
    assert "warning:" in captured.err
    assert "OK" not in captured.out


def test_login_refusals(
    isolated_dirs: Dirs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--profile", "sandbox", "login"]) == 2
    assert "signs in by itself: run preo-tui --sandbox" in capsys.readouterr().err
    answers(monkeypatch, lambda prompt: "not a token\n\x1b[2J")
    assert cli.main(["--profile", "staging", "login", "--method", "token"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("preo-tui: ") and err.count("\n") == 1
    assert CredentialStore(isolated_dirs.data).get("staging", STAGING) is None


@pytest.mark.usefixtures("sandboxed_client")
def test_login_with_password(
    isolated_dirs: Dirs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = answers(monkeypatch, lambda prompt: "wrong")
    argv = ["--profile", "staging", "login", "--email", "admin@sandbox.preo.dev"]
    assert cli.main(argv) == 2
    assert capsys.readouterr().err.startswith("preo-tui: sign-in failed: ")
    assert prompts == ["Password: "]  # the email was given: only the password is asked
    store = CredentialStore(isolated_dirs.data)
    assert store.get("staging", STAGING) is None

    prompts = answers(
        monkeypatch, lambda p: "admin@sandbox.preo.dev" if p.startswith("Email") else "sandbox"
    )
    assert cli.main(["--profile", "staging", "login"]) == 0
    assert prompts == ["Email: ", "Password: "]
    assert f"Signed in to {STAGING} as profile staging" in capsys.readouterr().out
    tokens = store.get("staging", STAGING)
    assert tokens is not None and tokens.access and tokens.refresh


@pytest.mark.usefixtures("sandboxed_client")
def test_login_with_pin(
    isolated_dirs: Dirs,
    sandbox_backend: SandboxBackend,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    phone = sandbox_backend.state.db.scalar(
        "SELECT phone FROM accounts WHERE email = ?", ("admin@sandbox.preo.dev",)
    )
    assert phone

    def reply(prompt: str) -> str:
        return phone if prompt.startswith("Phone") else sandbox_backend.state.pins[phone]

    prompts = answers(monkeypatch, reply)
    assert cli.main(["--profile", "staging", "login", "--method", "pin"]) == 0
    assert prompts == ["Phone (+45…): ", "PIN sent by SMS: "]
    assert "Signed in to" in capsys.readouterr().out
    assert CredentialStore(isolated_dirs.data).get("staging", STAGING) is not None


def test_logout_without_tokens(isolated_dirs: Dirs, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--profile", "staging", "logout"]) == 0
    assert "No tokens were held for staging." in capsys.readouterr().out


def test_doctor_refuses_writes_on_production(
    isolated_dirs: Dirs, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["doctor", "--server", "https://api.preo.cloud", "--write"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("preo-tui: --write is refused on a production server")


def test_a_sandbox_that_cannot_start_is_one_line(
    isolated_dirs: Dirs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``doctor --sandbox`` starts the sandbox itself; a failure is one line and exit 2. (The
    app starts its sandbox after the first frame and shows a failure on screen:
    tests/ui/test_shell_sandbox_launch.py.)"""

    def broken(self: Any) -> Any:
        raise RuntimeError("the sandbox did not start: port in use")

    monkeypatch.setattr(sandbox_process.SandboxProcess, "start", broken)
    assert cli.main(["--sandbox", "doctor"]) == 2
    assert capsys.readouterr().err == "preo-tui: the sandbox did not start: port in use\n"


def test_doctor_stops_a_sandbox_that_never_got_ready(
    isolated_dirs: Dirs, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    events: list[str] = []

    async def never_ready(self: Any) -> Any:
        events.append("ready?")
        raise RuntimeError("the sandbox exited before it was ready")

    monkeypatch.setattr(
        sandbox_process.SandboxProcess, "start", lambda self: events.append("start") or self
    )
    monkeypatch.setattr(sandbox_process.SandboxProcess, "ready", never_ready)
    monkeypatch.setattr(sandbox_process.SandboxProcess, "stop", lambda self: events.append("stop"))
    assert cli.main(["--sandbox", "doctor"]) == 2
    assert "the sandbox exited before it was ready" in capsys.readouterr().err
    assert events == ["start", "ready?", "stop"]
