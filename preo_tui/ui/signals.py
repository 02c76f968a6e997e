"""SIGTERM / SIGQUIT / SIGHUP end the app cleanly (issue 14): the terminal is restored.

Without this a ``kill`` (or a closed SSH session) left the operator's terminal in the
alternate screen with mouse reporting on. :func:`install_exit_signals` makes each signal ask
the running app to exit through its own event loop, so Textual's driver restores the
terminal as on ``q``, and the caller's ``finally`` stops the sandbox child. If the app cannot
exit within :data:`FORCE_AFTER` seconds (a blocked loop), or a second signal arrives, the
terminal modes are reset by hand, ``on_force_exit`` runs (stopping the sandbox) and the
process exits with ``128 + signal``.

No Textual import here: the app is any object with ``exit(result, return_code)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

FORCE_AFTER = 3.0
SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGQUIT", "SIGHUP") if hasattr(signal, name)
)
#: Mouse reporting off (every mode Textual enables), bracketed paste off, cursor shown,
#: alternate screen left: what a terminal needs back after a crash.
RESET_SEQUENCE = (
    "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l\x1b[?2004l\x1b[?1004l"
    "\x1b[?25h\x1b[?1049l"
)


def reset_terminal(stream: Any = None) -> None:
    """Write :data:`RESET_SEQUENCE` to the terminal (``sys.__stdout__``), ignoring errors."""
    out: Any = stream if stream is not None else sys.__stdout__
    if out is None:
        return
    with contextlib.suppress(Exception):
        out.write(RESET_SEQUENCE)
        out.flush()


def install_exit_signals(
    app: Any, on_force_exit: Callable[[], None] | None = None
) -> Callable[[], None]:
    """Install the handlers; returns a function that puts the previous ones back."""
    previous: dict[int, Any] = {}
    received: list[int] = []

    def force(signum: int) -> None:
        reset_terminal()
        if on_force_exit is not None:
            with contextlib.suppress(Exception):
                on_force_exit()
        os._exit(128 + signum)

    def handler(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        if len(received) > 1:
            force(signum)
        timer = threading.Timer(FORCE_AFTER, force, args=(signum,))
        timer.daemon = True
        timer.start()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            force(signum)
            return
        loop.call_soon_threadsafe(app.exit, None, 128 + signum)

    for sig in SIGNALS:
        with contextlib.suppress(ValueError, OSError):  # not the main thread
            previous[sig] = signal.signal(sig, handler)

    def restore() -> None:
        for sig, old in previous.items():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, old)

    return restore
