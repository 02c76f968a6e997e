"""``preo-tui --sandbox``: run ``preo-sandbox`` as a child process on a free loopback port.

The database lives in the user data dir (first launch seeds, later launches reuse it). The app
draws its first screen at once and awaits :meth:`SandboxProcess.ready` in a worker; the child
is stopped when the app exits (and by the terminal watchdog). Output goes to a log file next to
the database so it never scribbles over the TUI.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from preo_tui.ui.session import SandboxInfo

ADMIN_EMAIL = "admin@sandbox.preo.dev"
ADMIN_PASSWORD = "sandbox"
#: Seconds to wait for the sandbox to listen (a first launch seeds the demo data).
READY_TIMEOUT = 120.0
STOP_GRACE = 3.0


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when preo-tui dies, even by SIGKILL (Linux)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class SandboxProcess:
    """A sandbox child process."""

    def __init__(
        self,
        db_path: Path,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        log_path: Path | None = None,
        extra_args: tuple[str, ...] = (),
        python: str = sys.executable,
    ) -> None:
        self.db_path = db_path
        self.host = host
        self.port = port or free_port(host)
        self.log_path = log_path or db_path.with_name("sandbox.log")
        self.extra_args = extra_args
        self.python = python
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    @property
    def cache_identity(self) -> str:
        """Who the app's disk cache belongs to: this sandbox's database, whatever its port.

        The port is new on every launch; naming the cache after the URL would miss it every
        time (and leave a file per launch behind).
        """
        return f"sandbox:{self.db_path.expanduser().resolve()}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def command(self) -> list[str]:
        return [
            self.python,
            "-c",
            "from preo_tui.sandbox.cli import main; main()",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--db",
            str(self.db_path),
            *self.extra_args,
        ]

    def start(self) -> SandboxProcess:
        if self.process is not None:
            return self
        try:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            # The sandbox prints its long-lived tokens at start-up: the log is private (0600).
            fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.chmod(self.log_path, 0o600)
            log = os.fdopen(fd, "ab")
        except OSError as exc:
            raise RuntimeError(
                f"Cannot prepare the sandbox data in {self.db_path.parent}: {exc.strerror or exc}"
            ) from None
        try:
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                preexec_fn=_die_with_parent,
            )
        finally:
            log.close()
        self.started_at = time.monotonic()
        return self

    async def ready(self) -> SandboxInfo:
        """Wait until the sandbox accepts connections."""
        self.start()
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            process = self.process
            if process is not None and process.poll() is not None:
                raise RuntimeError(
                    f"The sandbox stopped at start-up (exit code {process.returncode}); "
                    f"see {self.log_path}"
                )
            try:
                _, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), timeout=1.0
                )
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"The sandbox did not start within {READY_TIMEOUT:.0f} s; see {self.log_path}"
                    ) from None
                await asyncio.sleep(0.05)
                continue
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            return SandboxInfo(
                base_url=self.base_url, admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD
            )

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=STOP_GRACE)
