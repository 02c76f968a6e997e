"""Exit when the terminal goes away (SSH dropped): SIGHUP, or a controlling TTY that no longer
answers. The app is asked to exit; if it has not within 5 seconds the process is ended after
stopping an embedded sandbox. Without this a dropped SSH session can leave a process spinning."""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import sys
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

#: Seconds the app gets to exit cleanly after the terminal went away.
GRACE_SECONDS = 4.0
CHECK_EVERY = 1.0


def _tty_alive(fd: int) -> bool:
    """False once the terminal hung up: the far end of the pty closed (an SSH session
    dropped) shows as POLLHUP/POLLERR on our side even when no SIGHUP is delivered."""
    try:
        import termios
    except ImportError:
        return False
    try:
        poller = select.poll()
        poller.register(fd, 0)  # no events asked: only hang-up and errors are reported
        for _, revents in poller.poll(0):
            if revents & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
                return False
        termios.tcgetattr(fd)
    # termios.error is no OSError: uncaught, it ended the checking thread, and the watchdog
    # with it, the first time the terminal answered tcgetattr with an error.
    except (OSError, ValueError, termios.error):
        return False
    return True


def install_watchdog(app: Any) -> None:
    """Install the SIGHUP handler and the TTY checker thread for ``app``."""
    gone = threading.Event()

    def terminal_gone(reason: str) -> None:
        if gone.is_set():
            return
        gone.set()
        log.warning("terminal gone (%s): exiting", reason)
        threading.Thread(target=ask_exit, daemon=True, name="preo-exit").start()
        threading.Thread(target=force_exit, daemon=True, name="preo-exit-guard").start()

    def ask_exit() -> None:
        # From a thread of its own: call_from_thread refuses the event loop's own thread
        # (where a signal handler runs).
        with contextlib.suppress(Exception):
            app.call_from_thread(app.exit)

    def force_exit() -> None:
        time.sleep(GRACE_SECONDS)
        sandbox = getattr(app, "sandbox", None)
        if sandbox is not None:
            with contextlib.suppress(Exception):
                sandbox.stop()
        os._exit(129)

    with contextlib.suppress(ValueError, OSError, AttributeError):
        signal.signal(signal.SIGHUP, lambda signum, frame: terminal_gone("SIGHUP"))

    fd: int | None = None
    with contextlib.suppress(Exception):
        if sys.__stdin__ is not None and os.isatty(sys.__stdin__.fileno()):
            fd = sys.__stdin__.fileno()
    if fd is None:
        return
    tty_fd = fd

    def check() -> None:
        while not gone.is_set():
            time.sleep(CHECK_EVERY)
            if not _tty_alive(tty_fd):
                terminal_gone("TTY closed")
                return

    threading.Thread(target=check, daemon=True, name="preo-tty-watchdog").start()
