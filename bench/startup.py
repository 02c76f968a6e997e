"""Start-up benchmark: process start to the home screen drawn, with a warm cache.

    python bench/startup.py [--runs 7] [--size 80x24]

Starts a sandbox (scale ``tiny``) on a free loopback port, signs in once to obtain a token, then
launches ``preo-tui --server URL`` (token in ``PREO_TOKEN``) in a pseudo-terminal again and
again, timing from ``Popen`` to the moment the dashboard's figures appear in the terminal output
(the first launch warms the on-disk cache and is not counted). In the same run, and interleaved
with it, it times a bare Textual app drawing one 100-row ``DataTable`` the same way. Prints both
medians and their ratio. Targets: ratio <= 1.5 and preo-tui <= 0.6 s on the project's machine.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import select
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

from _sandbox import free_port, stop

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: Text that appears only once the home screen shows its figures.
HOME_MARKER = b"waiting for a decision"
BARE_MARKER = b"cell-99-0"

BARE_APP = r"""
from textual.app import App, ComposeResult
from textual.widgets import DataTable

class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*[f"col {c}" for c in range(6)])
        table.add_rows([[f"cell-{r}-{c}" for c in range(6)] for r in range(100)])
        table.move_cursor(row=99)

Bare().run()
"""


def timed_launch(
    argv: list[str],
    env: dict[str, str],
    marker: bytes,
    size: tuple[int, int],
    timeout: float = 30.0,
) -> float:
    """Seconds from spawning ``argv`` in a pty until ``marker`` is written to the terminal."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(slave)
    seen = b""
    elapsed: float | None = None
    try:
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                seen = (seen + chunk)[-200_000:]
                if marker in seen:
                    elapsed = time.perf_counter() - started
                    break
            if proc.poll() is not None:
                break
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        os.close(master)
    if elapsed is None:
        tail = seen[-2000:].decode("utf-8", "replace")
        raise RuntimeError(f"{argv[-1][:40]!r} never drew {marker!r}; last output:\n{tail}")
    return elapsed


async def admin_token(url: str) -> str:
    from preo_tui.api import PreoClient

    async with PreoClient(base_url=url) as client:
        pair = await client.auth.login("admin@sandbox.preo.dev", "sandbox")
        return pair.access


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--size", default="80x24")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    work = Path(tempfile.mkdtemp(prefix="preo-bench-startup-"))
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "PREO_CONFIG_DIR": str(work / "config"),
        "PREO_DATA_DIR": str(work / "data"),
        "PREO_CACHE_DIR": str(work / "cache"),
        "PREO_KEYRING": "off",
    }
    for key in ("PREO_PROFILE", "PREO_SERVER", "TMUX"):
        env.pop(key, None)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sandbox = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from preo_tui.sandbox.cli import main; main()",
            "--port",
            str(port),
            "--db",
            str(work / "sandbox.sqlite3"),
            "--scale",
            "tiny",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or sandbox.poll() is not None:
                    print("the sandbox did not start", file=sys.stderr)
                    return 1
                time.sleep(0.1)
        env["PREO_TOKEN"] = asyncio.run(admin_token(url))
        app_argv = [
            sys.executable,
            "-c",
            "import sys; from preo_tui.ui.cli import main; sys.exit(main())",
            "--server",
            url,
        ]
        bare_argv = [sys.executable, "-c", BARE_APP]
        size = (width, height)
        timed_launch(app_argv, env, HOME_MARKER, size)  # warms the cache
        timed_launch(bare_argv, env, BARE_MARKER, size)  # warms the OS file cache
        app_times: list[float] = []
        bare_times: list[float] = []
        for _ in range(args.runs):
            app_times.append(timed_launch(app_argv, env, HOME_MARKER, size))
            bare_times.append(timed_launch(bare_argv, env, BARE_MARKER, size))
    finally:
        stop(sandbox, within=5)
    app_median = statistics.median(app_times)
    bare_median = statistics.median(bare_times)
    ratio = app_median / bare_median
    print(
        f"terminal {width}x{height}, {args.runs} runs each, warm cache, process start -> first frame with data"
    )
    print(
        f"preo-tui home screen : median {app_median * 1000:7.1f} ms  (min {min(app_times) * 1000:.1f}, max {max(app_times) * 1000:.1f})"
    )
    print(
        f"bare Textual 100 rows: median {bare_median * 1000:7.1f} ms  (min {min(bare_times) * 1000:.1f}, max {max(bare_times) * 1000:.1f})"
    )
    print(f"ratio                : {ratio:.2f}  (target <= 1.5; absolute target <= 600 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
