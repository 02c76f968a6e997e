"""Operation summaries are the published reference's names, and only the one published path
is marked [doc].

The 81 names live in ``tests/data/reference_operations.txt`` (copied from the contract's
section 12, so the suite runs without ``../shared``); when the contract is beside the checkout
the copy is checked against it too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from preo_tui.api import ALL_OPERATIONS

DATA = Path(__file__).parent.parent / "data" / "reference_operations.txt"
#: ``../shared/preo-api.md`` beside the checkout (or beside a parent folder, for worktrees).
CONTRACT = next(
    (
        folder / "shared" / "preo-api.md"
        for folder in Path(__file__).resolve().parents[3:]
        if (folder / "shared" / "preo-api.md").exists()
    ),
    Path(__file__).resolve().parents[3] / "shared" / "preo-api.md",
)

#: Operations the reference does not list at all (signing in is our assumption, §2).
NOT_IN_REFERENCE = {"auth.login", "auth.refresh", "auth.request_pin", "auth.verify_pin"}


def reference_rows(text: str) -> list[tuple[str, str, str]]:
    rows = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            tag, method, name = (part.strip() for part in line.split("|"))
            rows.append((tag, method, name))
    return rows


def contract_rows(text: str) -> list[tuple[str, str, str]]:
    section = text.split("## 12.", 1)[1]
    rows = []
    for line in section.splitlines():
        match = re.match(r"- \*\*(.+?)\*\*: (.*)", line)
        if not match:
            continue
        for part in match.group(2).split(";"):
            item = re.fullmatch(r"\s*(.+?) \((GET|POST|PATCH|PUT|DELETE)\)\s*", part)
            assert item, part
            rows.append((match.group(1), item.group(2), item.group(1)))
    return rows


ROWS = reference_rows(DATA.read_text(encoding="utf-8"))
NAMES = {name: method for _, method, name in ROWS}


def test_the_copy_holds_81_unique_names() -> None:
    assert len(NAMES) == 81
    assert len(ROWS) == 82  # the refund-create operation is under two tags


@pytest.mark.skipif(
    not CONTRACT.exists(), reason="../shared/preo-api.md is not beside the checkout"
)
def test_the_copy_matches_the_contract() -> None:
    assert contract_rows(CONTRACT.read_text(encoding="utf-8")) == ROWS


def test_every_summary_is_a_reference_name_with_its_method() -> None:
    wrong = [
        f"{op.key}: {op.summary!r} ({op.method})"
        for op in ALL_OPERATIONS
        if op.key not in NOT_IN_REFERENCE and NAMES.get(op.summary) != op.method
    ]
    assert wrong == []


def test_every_reference_name_is_an_operation() -> None:
    summaries = {op.summary for op in ALL_OPERATIONS}
    assert sorted(set(NAMES) - summaries) == []
    counts: dict[str, int] = {}
    for op in ALL_OPERATIONS:
        counts[op.summary] = counts.get(op.summary, 0) + 1
    assert [s for s, n in counts.items() if n > 1] == []


def test_only_the_purchase_refund_path_is_published() -> None:
    doc = [op.key for op in ALL_OPERATIONS if op.mark == "doc"]
    assert doc == ["purchases.refund"]
