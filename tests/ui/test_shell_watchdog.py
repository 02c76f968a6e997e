"""Over SSH: when the terminal goes away (SIGHUP, or the pty closed) the process exits within
5 seconds. Real processes in a pseudo-terminal."""

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

import pytest

#: How long a test waits for the app to exit before calling it hung (a hang guard, not a
#: timing assertion: how fast it exits is measured nowhere in the tests).
HANG_GUARD = 60.0


def spawn(tmp_path: Path, *args: str, ctty: bool = True) -> tuple[subprocess.Popen[bytes], int]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "PREO_CONFIG_DIR": str(tmp_path / "c"),
        "PREO_DATA_DIR": str(tmp_path / "d"),
        "PREO_CACHE_DIR": str(tmp_path / "k"),
        "PREO_KEYRING": "off",
    }
    for name in ("PREO_TOKEN", "PREO_PROFILE", "PREO_SERVER"):
        env.pop(name, None)

    def controlling_tty() -> None:
        os.setsid()
        if ctty:
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from preo_tui.ui.cli import main; sys.exit(main())",
         *(args or ("--server", "http://127.0.0.1:9"))],
        stdin=slave, stdout=slave, stderr=slave, env=env, preexec_fn=controlling_tty,
    )  # fmt: skip
    os.close(slave)
    return proc, master


def wait_for_output(proc: subprocess.Popen[bytes], master: int, marker: bytes) -> None:
    seen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
            if marker in seen:
                return
    raise AssertionError(f"the app never drew {marker!r}")


def exited_by_itself(proc: subprocess.Popen[bytes], master: int | None = None) -> bool:
    """Wait for the app to exit on its own; False (and kill it) if it hangs."""
    started = time.monotonic()
    while proc.poll() is None and time.monotonic() - started < HANG_GUARD:
        if master is not None:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    os.read(master, 65536)
                except OSError:
                    pass
        else:
            time.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
        proc.wait()
        return False
    return True


@pytest.mark.slow
def test_sighup_exits_quickly(tmp_path: Path) -> None:
    proc, master = spawn(tmp_path)
    try:
        wait_for_output(proc, master, b"password")
        proc.send_signal(signal.SIGHUP)
        assert exited_by_itself(proc, master)
    finally:
        os.close(master)


@pytest.mark.slow
def test_closed_terminal_exits_quickly(tmp_path: Path) -> None:
    proc, master = spawn(tmp_path)
    wait_for_output(proc, master, b"password")
    os.close(master)  # the SSH connection drops: the terminal is gone
    assert exited_by_itself(proc)


@pytest.mark.slow
def test_sighup_also_stops_the_embedded_sandbox(tmp_path: Path) -> None:
    import psutil

    proc, master = spawn(tmp_path, "--sandbox")
    children: list[psutil.Process] = []
    try:
        wait_for_output(proc, master, b"SANDBOX")
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children, "the sandbox child process is missing"
        proc.send_signal(signal.SIGHUP)
        assert exited_by_itself(proc, master)
        _, alive = psutil.wait_procs(children, timeout=HANG_GUARD)
        assert alive == []
    finally:
        os.close(master)
        for child in children:
            if child.is_running():
                child.kill()


@pytest.mark.slow
def test_terminal_closed_without_a_hangup_signal(tmp_path: Path) -> None:
    """No SIGHUP arrives (the pty is not the controlling terminal): the watchdog notices the
    dead terminal by itself, and the embedded sandbox is stopped too."""
    import psutil

    proc, master = spawn(tmp_path, "--sandbox", ctty=False)
    children: list[psutil.Process] = []
    try:
        wait_for_output(proc, master, b"SANDBOX")
        children = psutil.Process(proc.pid).children(recursive=True)
        os.close(master)
        assert exited_by_itself(proc)
        _, alive = psutil.wait_procs(children, timeout=HANG_GUARD)
        assert alive == []
    finally:
        for child in children:  # never leave a sandbox behind, whatever happened
            if child.is_running():
                child.kill()


@pytest.mark.slow
def test_embedded_sandbox_dies_with_a_killed_app(tmp_path: Path) -> None:
    """Even SIGKILL (no clean-up possible) does not leave the sandbox running — also when no
    terminal hang-up reaches the sandbox's process group."""
    import psutil

    proc, master = spawn(tmp_path, "--sandbox", ctty=False)
    children: list[psutil.Process] = []
    try:
        wait_for_output(proc, master, b"SANDBOX")
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children
        proc.kill()
        proc.wait()
        _, alive = psutil.wait_procs(children, timeout=HANG_GUARD)
        assert alive == []
    finally:
        os.close(master)
        for child in children:
            if child.is_running():
                child.kill()
