"""Start-up benchmark: process start to the home screen drawn, with a warm cache.

    python bench/startup.py [--runs 7] [--size 80x24] [--sandbox | --login]

Starts a sandbox (scale ``tiny``) on a free loopback port, signs in once to obtain a token, then
launches ``preo-tui --server URL`` (token in ``PREO_TOKEN``) in a pseudo-terminal again and
again, timing from ``Popen`` to the moment the dashboard's figures appear in the terminal output
(the first launch warms the on-disk cache and is not counted). With ``--sandbox`` it launches
``preo-tui --sandbox`` instead (the app starts its own sandbox child; the cached home must be
drawn before that child answers). With ``--login`` the token is not in ``PREO_TOKEN`` but stored as ``preo-tui login``
stores it, and the keyring is probed as on an operator's machine (``PREO_KEYRING`` is not set;
where no keyring is usable the token is in the 0600 file): the usual start of a signed-in
operator. In the same run, and interleaved with it, it times a bare
Textual app drawing one 100-row ``DataTable`` the same way. Prints both medians, their ratio,
and the ratio of the CPU time the two processes used (less sensitive to the machine's load),
with met/missed for each target.

Both programs run with their bytecode cached (``PYTHONDONTWRITEBYTECODE`` is dropped and the
``.pyc`` files go to a temporary ``PYTHONPYCACHEPREFIX``, filled by the warm-up launches), as for
an installed package: otherwise preo-tui's own modules would be compiled on every launch while
Textual's come precompiled from site-packages.

Targets (issue 20): ratio <= 1.3 (wall clock, medians of the same run); preo-tui <= 0.6 s on an
idle machine (informative only under load).
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


#: Stores a token for ``--server URL`` as ``preo-tui login --method token`` does.
STORE_TOKEN = r"""
import sys
from preo_tui.credentials import CredentialStore, Tokens
from preo_tui.ui.cli import _resolve, build_parser

_, _, profile = _resolve(build_parser().parse_args(["--server", sys.argv[1]]))
CredentialStore().login(profile, Tokens(access=sys.stdin.read().strip()))
"""


def timed_launch(
    argv: list[str],
    env: dict[str, str],
    marker: bytes,
    size: tuple[int, int],
    timeout: float = 30.0,
) -> tuple[float, float]:
    """Seconds from spawning ``argv`` in a pty until ``marker`` is written to the terminal,
    and the CPU seconds (user + system) the process had used by then (it is killed at once)."""
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
        cpu = 0.0
        try:
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            cpu = usage.ru_utime + usage.ru_stime
        except ChildProcessError:
            proc.wait()
        os.close(master)
    if elapsed is None:
        tail = seen[-2000:].decode("utf-8", "replace")
        raise RuntimeError(f"{argv[-1][:40]!r} never drew {marker!r}; last output:\n{tail}")
    return elapsed, cpu


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
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--sandbox",
        action="store_true",
        help="time `preo-tui --sandbox` (its own sandbox child) instead of --server URL",
    )
    mode.add_argument(
        "--login",
        action="store_true",
        help="the token stored as by `preo-tui login` (keyring probed), not in PREO_TOKEN",
    )
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
        # Bytecode cached for both programs, as installed (see the module's docstring).
        "PYTHONPYCACHEPREFIX": str(work / "pycache"),
    }
    for key in ("PREO_PROFILE", "PREO_SERVER", "PREO_TOKEN", "TMUX", "PYTHONDONTWRITEBYTECODE"):
        env.pop(key, None)
    size = (width, height)
    app_cli = [
        sys.executable,
        "-c",
        "import sys; from preo_tui.ui.cli import main; sys.exit(main())",
    ]
    bare_argv = [sys.executable, "-c", BARE_APP]
    if args.sandbox:
        app_argv = [*app_cli, "--sandbox"]
        # The first launch seeds the sandbox's database and warms the cache.
        timed_launch(app_argv, env, HOME_MARKER, size, timeout=180.0)
        app_runs, bare_runs = _measure(app_argv, bare_argv, env, size, args.runs)
    else:
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
            token = asyncio.run(admin_token(url))
            if args.login:
                env.pop("PREO_KEYRING", None)
                subprocess.run(
                    [sys.executable, "-c", STORE_TOKEN, url],
                    input=token,
                    text=True,
                    env=env,
                    check=True,
                )
            else:
                env["PREO_TOKEN"] = token
            app_argv = [*app_cli, "--server", url]
            timed_launch(app_argv, env, HOME_MARKER, size)  # warms the cache
            app_runs, bare_runs = _measure(app_argv, bare_argv, env, size, args.runs)
        finally:
            stop(sandbox, within=5)
    return _report(app_runs, bare_runs, size, args)


def _measure(
    app_argv: list[str],
    bare_argv: list[str],
    env: dict[str, str],
    size: tuple[int, int],
    runs: int,
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Interleaved launches of both programs (after a warm-up launch of the bare app)."""
    timed_launch(bare_argv, env, BARE_MARKER, size)  # fills its bytecode cache, OS file cache
    app_runs: list[tuple[float, float]] = []
    bare_runs: list[tuple[float, float]] = []
    for _ in range(runs):
        app_runs.append(timed_launch(app_argv, env, HOME_MARKER, size))
        bare_runs.append(timed_launch(bare_argv, env, BARE_MARKER, size))
    return app_runs, bare_runs


TARGET_RATIO = 1.3
TARGET_SECONDS = 0.6


def _report(
    app_runs: list[tuple[float, float]],
    bare_runs: list[tuple[float, float]],
    size: tuple[int, int],
    args: argparse.Namespace,
) -> int:
    app_times = [wall for wall, _ in app_runs]
    bare_times = [wall for wall, _ in bare_runs]
    app_median = statistics.median(app_times)
    bare_median = statistics.median(bare_times)
    ratio = app_median / bare_median
    app_cpu = statistics.median(cpu for _, cpu in app_runs)
    bare_cpu = statistics.median(cpu for _, cpu in bare_runs)
    cpu_ratio = app_cpu / bare_cpu if bare_cpu else float("nan")
    mode = "preo-tui --sandbox" if args.sandbox else "preo-tui --server"
    if args.login:
        mode += ", token stored by `preo-tui login`"
    print(
        f"terminal {size[0]}x{size[1]}, {args.runs} runs each, warm cache, "
        f"process start -> first frame with data ({mode})"
    )
    print(
        f"preo-tui home screen : median {app_median * 1000:7.1f} ms  "
        f"(min {min(app_times) * 1000:.1f}, max {max(app_times) * 1000:.1f}); "
        f"CPU {app_cpu * 1000:.0f} ms"
    )
    print(
        f"bare Textual 100 rows: median {bare_median * 1000:7.1f} ms  "
        f"(min {min(bare_times) * 1000:.1f}, max {max(bare_times) * 1000:.1f}); "
        f"CPU {bare_cpu * 1000:.0f} ms"
    )
    met = ratio <= TARGET_RATIO
    print(f"ratio                : {ratio:.2f}  target <= {TARGET_RATIO}: {_met(met)}")
    print(f"CPU time ratio       : {cpu_ratio:.2f}  (informative: less sensitive to load)")
    print(
        f"absolute             : {app_median * 1000:.0f} ms  target <= {TARGET_SECONDS * 1000:.0f} ms "
        f"on an idle machine: {_met(app_median <= TARGET_SECONDS)}"
    )
    return 0


def _met(ok: bool) -> str:
    return "met" if ok else "missed"


if __name__ == "__main__":
    sys.exit(main())
