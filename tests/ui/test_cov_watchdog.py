"""The terminal watchdog in-process (tests/ui/test_shell_watchdog.py drives real processes,
which coverage does not see): a hung-up pty is told from a live one, SIGHUP and a closed TTY
both ask the app to exit, then stop the embedded sandbox and end the process with 129.

``os._exit`` and ``signal.signal`` are replaced for the test; each test waits until the
watchdog's threads have called the replacement, so no thread outlives the test."""

from __future__ import annotations

import os
import pty
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from preo_tui.ui import watchdog


class FakeApp:
    def __init__(self, *, with_sandbox: bool = True) -> None:
        self.exits = 0
        self.sandbox = self if with_sandbox else None
        self.stops = 0

    def exit(self) -> None:
        self.exits += 1

    def call_from_thread(self, callback: Callable[[], object]) -> None:
        callback()

    def stop(self) -> None:
        self.stops += 1


@pytest.fixture
def exits(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """``os._exit`` recorded instead of ending pytest."""
    codes: list[int] = []
    done = threading.Event()

    def fake_exit(code: int) -> None:
        codes.append(code)
        done.set()  # (os._exit is the last thing the watchdog's thread does)

    monkeypatch.setattr(watchdog, "GRACE_SECONDS", 0.0)
    monkeypatch.setattr(watchdog, "CHECK_EVERY", 0.01)
    monkeypatch.setattr(os, "_exit", fake_exit)
    yield codes
    assert done.wait(30), "the watchdog never ended the process"


@pytest.fixture
def handlers(monkeypatch: pytest.MonkeyPatch) -> dict[int, Any]:
    installed: dict[int, Any] = {}
    monkeypatch.setattr(
        signal, "signal", lambda signum, handler: installed.__setitem__(signum, handler)
    )
    return installed


def test_tty_alive_tells_a_hung_up_pty() -> None:
    master, slave = pty.openpty()
    try:
        assert watchdog._tty_alive(slave)
        os.close(master)  # the SSH session dropped
        assert not watchdog._tty_alive(slave)
    finally:
        os.close(slave)
    read_end, write_end = os.pipe()  # not a terminal at all
    try:
        assert not watchdog._tty_alive(read_end)
    finally:
        os.close(read_end)
        os.close(write_end)
    assert not watchdog._tty_alive(read_end)  # a closed descriptor


def wait_for(condition: Callable[[], bool], within: float = 30.0) -> None:
    """Poll ``condition`` (set by the watchdog's threads) until true; a hang guard only."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_sighup_asks_the_app_to_exit_then_stops_the_sandbox(
    monkeypatch: pytest.MonkeyPatch, exits: list[int], handlers: dict[int, Any]
) -> None:
    monkeypatch.setattr(sys, "__stdin__", None)  # no terminal: no TTY thread
    app = FakeApp()
    watchdog.install_watchdog(app)
    hangup = handlers[signal.SIGHUP]
    hangup(signal.SIGHUP, None)
    hangup(signal.SIGHUP, None)  # a second hang-up changes nothing
    wait_for(lambda: exits == [129])
    wait_for(lambda: app.exits == 1)
    assert app.stops == 1


def test_a_closed_terminal_is_noticed_without_a_signal(
    monkeypatch: pytest.MonkeyPatch, exits: list[int], handlers: dict[int, Any]
) -> None:
    master, slave = pty.openpty()
    stdin = os.fdopen(slave, "rb", buffering=0)
    monkeypatch.setattr(sys, "__stdin__", stdin)
    app = FakeApp(with_sandbox=False)
    try:
        watchdog.install_watchdog(app)
        assert signal.SIGHUP in handlers
        os.close(master)
        wait_for(lambda: exits == [129])
        wait_for(lambda: app.exits == 1)
        assert app.stops == 0
    finally:
        stdin.close()
