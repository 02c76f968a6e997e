"""Issue 14, item 7: the terminal is restored on SIGTERM/SIGQUIT (and the sandbox child is
stopped); a token with whitespace is trimmed or refused clearly; a non-ASCII token is refused
at sign-in with a clear message (it used to raise an untyped error and stay "connecting").

The signal tests run the real ``preo-tui`` in a pseudo-terminal and read what it writes.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

from preo_tui.api import PreoClient
from preo_tui.api.errors import InvalidToken, check_token
from preo_tui.ui.shell.signin import SignInScreen
from tests.fixtures.app import AppFactory, wait_for_screen, wait_until
from tests.ui.test_signin import error_text

ALT_ON, ALT_OFF = "\x1b[?1049h", "\x1b[?1049l"
MOUSE_OFF = "\x1b[?1000l"


def _read_until(fd: int, needle: str, within: float) -> str:
    out = ""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk.decode("utf-8", "replace")
            if needle in out:
                return out
    return out


def _run_in_pty(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "preo_tui.ui.cli", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    return process, master


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREO_")}
    for name in ("config", "data", "cache"):
        (tmp_path / name).mkdir(exist_ok=True)
        env[f"PREO_{name.upper()}_DIR"] = str(tmp_path / name)
    env["PREO_KEYRING"] = "off"
    env["TERM"] = "xterm-256color"
    return env


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGQUIT])
def test_item_7_signal_restores_the_terminal(tmp_path: Path, sig: signal.Signals) -> None:
    process, master = _run_in_pty(["--server", "http://127.0.0.1:9"], _env(tmp_path))
    try:
        started = _read_until(master, ALT_ON, 30)
        assert ALT_ON in started, started[-500:]
        _read_until(master, "Sign in", 15)  # drawn: the app is running
        process.send_signal(sig)
        after = _read_until(master, ALT_OFF, 15)
        assert process.wait(timeout=15) == 128 + sig
        after += _read_until(master, "\x00never", 0.5)
        assert ALT_OFF in after and MOUSE_OFF in after, after[-300:]
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)


def test_item_7_sigterm_stops_the_sandbox_child(tmp_path: Path) -> None:
    process, master = _run_in_pty(["--sandbox"], _env(tmp_path))
    try:
        assert ALT_ON in _read_until(master, ALT_ON, 30)
        children: list[int] = []
        deadline = time.monotonic() + 60
        path = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        while time.monotonic() < deadline and not children:
            children = [int(p) for p in path.read_text().split()]
            time.sleep(0.2)
        assert children, "the sandbox child never started"
        process.send_signal(signal.SIGTERM)
        _read_until(master, ALT_OFF, 20)
        assert process.wait(timeout=20) == 128 + signal.SIGTERM
        for pid in children:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
                stat = Path(f"/proc/{pid}/stat").read_text(errors="replace")
                if stat.split(") ", 1)[-1].startswith("Z"):
                    break  # exited, not yet reaped by the (gone) parent
                time.sleep(0.1)
            alive = Path(f"/proc/{pid}").exists() and not Path(
                f"/proc/{pid}/stat"
            ).read_text().split(") ", 1)[-1].startswith("Z")
            assert not alive, f"sandbox child {pid} still running"
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)


# -- tokens ---------------------------------------------------------------------------------
def test_item_7_token_whitespace_is_trimmed_or_refused() -> None:
    assert check_token("  abc.def \n") == "abc.def"
    with pytest.raises(InvalidToken, match="spaces or line breaks"):
        check_token("abc def")
    with pytest.raises(InvalidToken, match="spaces or line breaks"):
        check_token("abc\ndef")
    with pytest.raises(InvalidToken, match="not plain ASCII"):
        check_token("abcdéf")
    with pytest.raises(InvalidToken, match="not plain ASCII"):
        PreoClient("http://x.test", token="tøken")


async def test_item_7_non_ascii_token_refused_at_sign_in(make_app: AppFactory) -> None:
    app: Any = make_app(role=None)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_for_screen(pilot, SignInScreen)
        await pilot.press("f2")
        screen.query_one("#token", Input).value = "eyJhbGciOi\u2026\u00fc"
        await pilot.press("enter")
        await wait_until(pilot, lambda: "not plain ASCII" in error_text(screen), what="error")
        screen.query_one("#token", Input).value = "eyJhbG ciOi"
        await pilot.press("enter")
        await wait_until(pilot, lambda: "line breaks" in error_text(screen), what="error")
        assert app.connection_state == "signed out" and app.ctx.client is None


async def test_item_7_non_ascii_token_from_the_environment_is_refused_clearly(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREO_TOKEN", "t\u00f8ken")
    app: Any = make_app(role=None)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_for_screen(pilot, SignInScreen)
        shown = str(screen.query_one("#signin-message", Static).render())
        assert "not plain ASCII" in shown  # not "session expired", not stuck "connecting"
        assert app.connection_state == "signed out"
