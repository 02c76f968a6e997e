"""Run the UI test suite under CPU contention, several times in a row, and count failures.

Two busy-loop processes compete with ``pytest -n 2`` for the machine's cores (a shared 2-core CI
machine under load), so a test that waits on time instead of state shows up as red here::

    python bench/contention.py                 # 10 runs of tests/ui with 2 busy loops
    python bench/contention.py --runs 3 --busy 4 -- tests/ui/test_refunds.py
    python bench/contention.py --log-dir /tmp/runs -- tests/ui --durations=30   # keep each log

Prints one line per run (passed/failed/seconds) and a closing ``N passed, N failed`` line for
the runs; exits non-zero when any run failed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _spin(stop: multiprocessing.synchronize.Event) -> None:  # pragma: no cover - a busy loop
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--busy", type=int, default=2, help="busy-loop processes beside pytest")
    parser.add_argument("--workers", default="2", help="pytest -n value")
    parser.add_argument("--log-dir", type=Path, help="keep each run's whole pytest output here")
    parser.add_argument("paths", nargs="*", default=["tests/ui"])
    args = parser.parse_args(argv)

    stop = multiprocessing.Event()
    spinners = [multiprocessing.Process(target=_spin, args=(stop,)) for _ in range(args.busy)]
    for proc in spinners:
        proc.start()
    green = red = 0
    try:
        for run in range(1, args.runs + 1):
            began = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-n", args.workers, "-p", "no:cacheprovider",
                 *args.paths],
                cwd=ROOT, capture_output=True, text=True,
            )  # fmt: skip
            tail = [line for line in done.stdout.splitlines() if line.strip()][-1:]
            summary = tail[0] if tail else "(no output)"
            seconds = time.monotonic() - began
            if args.log_dir is not None:
                args.log_dir.mkdir(parents=True, exist_ok=True)
                (args.log_dir / f"run-{run:02d}.log").write_text(done.stdout + done.stderr)
            ok = done.returncode == 0
            green += ok
            red += not ok
            print(f"run {run:2d}: {'green' if ok else 'RED'}  {seconds:6.1f} s  {summary}")
            if not ok:
                failed = re.findall(r"^FAILED .*$", done.stdout, flags=re.M)
                for line in failed[:20]:
                    print("        " + line)
            sys.stdout.flush()
    finally:
        stop.set()
        for proc in spinners:
            proc.join(5)
            if proc.is_alive():
                proc.terminate()
    print(f"runs: {green} passed, {red} failed")
    return 0 if red == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
