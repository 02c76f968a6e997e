"""CEL editor benchmarks: the local check per keystroke (target p99 <= 2 ms).

Run with ``python bench/cel.py``. The local check types the longest example condition of the
contract character by character (every prefix is one keystroke) and times ``check()`` with its
memo disabled, over several rounds, then prints the median and p99.

Other measurements (for example keystroke-to-diagnostic in the editor) are added as functions
returning a :class:`Figures` and registered in ``BENCHMARKS``.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from preo_tui.cel import CONTRACT_EXAMPLES, check, contract_context


@dataclass
class Figures:
    name: str
    samples_ms: list[float]
    target_ms: float | None = None
    percentile: int = 99

    def line(self) -> str:
        s = sorted(self.samples_ms)
        med = statistics.median(s)
        p = s[min(len(s) - 1, int(len(s) * self.percentile / 100))]
        verdict = ""
        if self.target_ms is not None:
            verdict = "  OK" if p <= self.target_ms else f"  OVER TARGET ({self.target_ms} ms)"
        return (
            f"{self.name}: n={len(s)} median {med:.3f} ms, p{self.percentile} {p:.3f} ms, "
            f"max {s[-1]:.3f} ms{verdict}"
        )


def keystrokes(text: str) -> list[str]:
    """Every state of the editor while ``text`` is typed one character at a time."""
    return [text[:i] for i in range(1, len(text) + 1)]


def local_check(rounds: int = 30) -> Figures:
    """Time ``check()`` (parse + type-check + diagnostics) for each keystroke state."""
    context = contract_context()
    longest = max(CONTRACT_EXAMPLES, key=len)
    states = keystrokes(longest)
    check(longest, context)  # build the environments once, as the editor does on open
    samples: list[float] = []
    for _ in range(rounds):
        for state in states:
            t0 = time.perf_counter()
            check(state, context, use_cache=False)
            samples.append((time.perf_counter() - t0) * 1000)
    return Figures(f"local check per keystroke ({len(longest)} chars typed)", samples, 2.0)


#: name -> benchmark; the editor-latency measurement registers itself here.
BENCHMARKS: dict[str, Callable[[], Figures]] = {"local-check": local_check}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    for name in names:
        if name not in BENCHMARKS:
            print(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
            return 2
        print(BENCHMARKS[name]().line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
