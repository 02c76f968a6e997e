"""The write journal: pending before the request, outcome after, crash tolerance, 0600."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from preo_tui.store import Journal


def clock_from(start: datetime) -> object:
    state = {"now": start}

    def tick() -> datetime:
        state["now"] += timedelta(seconds=1)
        return state["now"]

    return tick


def journal(path: Path, **kw: object) -> Journal:
    return Journal(path, clock=clock_from(datetime(2026, 7, 1, tzinfo=UTC)), **kw)  # type: ignore[arg-type]


def test_round_trip_newest_first_with_outcomes(tmp_path: Path) -> None:
    path = tmp_path / "data" / "journal.jsonl"
    j = journal(path, profile="staging", server="https://api-staging.preo.dev")
    a = j.begin(
        resource="refunds",
        action="approve",
        object_ids=["rfr_1"],
        summary="approve rfr_1",
        idempotency_key="k1",
    )
    j.finish(a.action_id, "ok")
    b = j.begin(resource="refunds", action="reject", object_ids=["rfr_2"], summary="reject rfr_2")
    j.finish(b.action_id, "failed", "Refund request is already rejected")
    c = j.begin(resource="campaigns", action="send", object_ids=["cmp_1"])

    entries = journal(path).read()
    assert [e.action_id for e in entries] == [c.action_id, b.action_id, a.action_id]
    assert [e.outcome for e in entries] == ["pending", "failed", "ok"]
    assert entries[1].error == "Refund request is already rejected"
    assert entries[2].idempotency_key == "k1" and entries[2].profile == "staging"
    assert entries[2].finished is not None and entries[2].when.year == 2026
    assert journal(path).read(limit=1)[0].action_id == c.action_id
    assert path.stat().st_mode & 0o777 == 0o600


def test_pending_line_is_on_disk_before_the_request(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    j = journal(path)
    entry = j.begin(resource="refunds", action="approve", object_ids=["rfr_9"])
    # What a crash right now would leave behind:
    (record,) = [json.loads(line) for line in path.read_text().splitlines()]
    assert record["kind"] == "begin" and record["action_id"] == entry.action_id
    assert journal(path).read()[0].outcome == "pending"


def test_a_later_outcome_resolves_an_unknown_one(tmp_path: Path) -> None:
    j = journal(tmp_path / "j.jsonl")
    e = j.begin(resource="refunds", action="approve")
    j.finish(e.action_id, "unknown", "connection reset")
    assert j.read()[0].outcome == "unknown"
    j.finish(e.action_id, "ok")
    got = j.get(e.action_id)
    assert got is not None and got.outcome == "ok" and got.error is None


def test_truncated_last_line_is_tolerated_and_not_glued_onto(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    j = journal(path)
    first = j.begin(resource="refunds", action="approve", object_ids=["rfr_1"])
    j.finish(first.action_id, "ok")
    second = j.begin(resource="refunds", action="approve", object_ids=["rfr_2"])
    # Crash in the middle of writing the outcome line.
    with open(path, "ab") as handle:
        handle.write(b'{"v":1,"kind":"outcome","action_id":"' + second.action_id.encode()[:10])
    reader = journal(path)
    entries = reader.read()
    assert [e.outcome for e in entries] == ["pending", "ok"] and reader.skipped_lines == 1
    # The next session appends cleanly after the broken line.
    third = j.begin(resource="refunds", action="reject", object_ids=["rfr_3"])
    j.finish(third.action_id, "ok")
    entries = reader.read()
    assert [e.object_ids[0] for e in entries] == ["rfr_3", "rfr_2", "rfr_1"]
    assert entries[0].outcome == "ok" and reader.skipped_lines == 1


def test_garbage_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text(
        'not json\n{"kind": "mystery"}\n[1, 2]\n{"kind":"outcome","action_id":"nope","outcome":"ok"}\n'
    )
    reader = journal(path)
    assert reader.read() == [] and reader.skipped_lines == 4


def test_filter_by_profile_server_and_outcome(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    prod = journal(path, profile="production", server="https://api.preo.cloud")
    sand = journal(path, profile="sandbox", server="http://127.0.0.1:9")
    p = prod.begin(resource="refunds", action="approve")
    prod.finish(p.action_id, "ok")
    s = sand.begin(resource="refunds", action="approve")
    assert [e.action_id for e in sand.read(profile="production")] == [p.action_id]
    assert [e.action_id for e in sand.read(server="http://127.0.0.1:9")] == [s.action_id]
    assert [e.action_id for e in sand.read(outcome="pending")] == [s.action_id]


def test_existing_file_with_loose_permissions_is_fixed(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text("")
    os.chmod(path, 0o644)
    journal(path).begin(resource="x", action="y")
    assert path.stat().st_mode & 0o777 == 0o600


def test_created_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = tmp_path / "j.jsonl"
        journal(path).begin(resource="x", action="y")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o600


def test_secrets_are_scrubbed(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    j = journal(path, secrets=["tok-SECRET-123"])
    e = j.begin(resource="auth", action="x", summary="used tok-SECRET-123")
    j.finish(e.action_id, "failed", "header Bearer tok-SECRET-123 rejected")
    assert "tok-SECRET-123" not in path.read_text()
    assert j.read()[0].error == "header Bearer *** rejected"


def test_rotation_keeps_one_generation_readable(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    j = journal(path, max_bytes=400)
    ids = []
    for n in range(6):
        e = j.begin(resource="refunds", action="approve", object_ids=[f"rfr_{n}"])
        j.finish(e.action_id, "ok")
        ids.append(e.action_id)
    assert path.with_name("j.jsonl.1").exists()
    got = [e.action_id for e in j.read()]
    assert got[0] == ids[-1] and len(got) >= 2


def test_bad_outcome_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outcome"):
        journal(tmp_path / "j.jsonl").finish("x", "maybe")  # type: ignore[arg-type]


def test_default_path_is_in_the_data_dir(isolated_dirs: Path) -> None:
    j = Journal(profile="p")
    assert j.path == isolated_dirs / "data" / "journal.jsonl"


def test_a_retry_continues_the_same_entry(tmp_path: Path) -> None:
    j = journal(tmp_path / "j.jsonl")
    first = j.begin(resource="refunds", action="approve", idempotency_key="k")
    j.finish(first.action_id, "unknown", "connection reset")
    other = j.begin(resource="refunds", action="reject")
    j.begin(resource="refunds", action="approve", idempotency_key="k", action_id=first.action_id)
    assert j.read()[1].outcome == "pending"
    j.finish(first.action_id, "ok")
    entries = j.read()
    assert [e.action_id for e in entries] == [other.action_id, first.action_id]
    retried = entries[1]
    assert retried.attempts == 2 and retried.outcome == "ok" and retried.error is None
    assert retried.time == first.time


def test_format_2_keeps_operation_args_and_user_and_reads_format_1(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_text(
        '{"v":1,"kind":"begin","action_id":"old","time":"2026-07-01T00:00:00+00:00",'
        '"profile":"p","server":"s","resource":"refunds","action":"approve",'
        '"object_ids":["rfr_0"],"summary":"old line","idempotency_key":"k0"}\n'
    )
    j = journal(path, profile="p", server="s")
    j.user = "usr_1"
    entry = j.begin(
        resource="refunds",
        action="approve",
        object_ids=["rfr_1"],
        summary="approve refund rfr_1 · order 1001 · €12.00",
        idempotency_key="k1",
        operation="refunds.approve",
        args={"id": "rfr_1", "comment": "ok"},
    )
    j.finish(entry.action_id, "unknown", "lost")
    new, old = j.read()
    assert (new.operation, new.args, new.user) == (
        "refunds.approve",
        {"id": "rfr_1", "comment": "ok"},
        "usr_1",
    )
    assert (old.operation, old.args, old.user, old.summary) == (None, None, None, "old line")
    assert [e.action_id for e in j.read(user="usr_1")] == [entry.action_id]
    record = json.loads(path.read_text().splitlines()[1])
    assert record["v"] == 2 and record["args"] == {"id": "rfr_1", "comment": "ok"}
