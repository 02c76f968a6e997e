"""No test asserts a duration (issue 16: timing belongs in ``bench/``; a test waits on a state or
an event). A timed assertion passes on a quiet machine and fails on a busy CI one — the
checker's fuzz test did, under load, with "< 1.0 s"."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
#: A clock read minus something: a duration (a deadline guard, ``now < deadline``, waits on a
#: state and is not one).
DURATION = re.compile(r"\b(perf_counter|monotonic|process_time|thread_time|time)\(\)\s*-")


def timed_asserts(text: str) -> list[int]:
    """Line numbers of ``assert`` statements on a duration."""
    return [
        number
        for number, line in enumerate(text.splitlines(), 1)
        if line.lstrip().startswith("assert ") and DURATION.search(line)
    ]


def test_the_rule_finds_a_timed_assert() -> None:
    assert timed_asserts("t0 = 1\n    assert time.perf_counter() - t0 < 1.0\n") == [2]
    assert timed_asserts("    assert time.monotonic() - started < 3\n") == [1]
    assert timed_asserts("    assert time.monotonic() < deadline, 'timed out'\n") == []
    assert timed_asserts("    assert result.ok\n") == []


def test_no_test_asserts_a_duration() -> None:
    found = {
        str(path.relative_to(TESTS)): lines
        for path in sorted(TESTS.rglob("*.py"))
        if path.name != Path(__file__).name and (lines := timed_asserts(path.read_text()))
    }
    assert found == {}
