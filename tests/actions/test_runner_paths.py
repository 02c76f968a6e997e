"""The runner's other paths against the in-process sandbox: through the store (offline
pre-check, read-only refusal), a conflict that an earlier attempt explains, a validation
refusal, a journal that cannot be written, a re-read that keeps failing (unknown) and then
resumes, and journal entries that cannot become actions."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from preo_tui.actions import ActionEvent, ActionRunner, make
from preo_tui.actions.resolve import APPROVED
from preo_tui.api import PreoClient
from preo_tui.store import Journal, Store, open_store
from tests.api.conftest import preo_client, set_faults
from tests.fixtures.sandbox import BASE_URL, Sandbox

DROP_ALL = {"error_rate": 1.0, "kinds": ["drop"], "after_commit_ratio": 0.0}


@pytest.fixture
async def preo(sandbox: Sandbox) -> AsyncIterator[PreoClient]:
    async with preo_client(sandbox) as client:
        yield client


async def no_pause(_seconds: float) -> None:
    return None


def journal_at(tmp_path: Path, me: str | None) -> Journal:
    journal = Journal(tmp_path / "journal.jsonl", profile="sandbox", server=BASE_URL)
    journal.user = me
    return journal


def store_for(tmp_path: Path, me: str, journal: Journal, *, read_only: bool = False) -> Store:
    return open_store(
        BASE_URL,
        me,
        cache_dir=tmp_path / "cache",
        journal=journal,
        read_only=read_only,
    )


async def me_of(client: PreoClient) -> str:
    return str((await client.auth.me()).id)


async def requested(client: PreoClient) -> Any:
    return (await client.refunds.list(status="requested", ordering="created")).results[0]


async def test_through_the_store_the_write_is_journalled_and_applied(
    sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    me = await me_of(preo)
    journal = journal_at(tmp_path, me)
    store = store_for(tmp_path, me, journal)
    runner = ActionRunner(preo, store=store, me=me, sleep=no_pause)
    assert runner.journal is journal
    rr = await requested(preo)
    result = await runner.run(make("refunds.approve", "approve", id=rr.id))
    # Approved (the payment side may already have moved it on from "ready").
    assert result.applied and result.value.status in APPROVED
    [entry] = journal.read()
    assert (entry.outcome, entry.operation) == ("ok", "refunds.approve")


async def test_offline_store_re_reads_first_and_skips_a_write_already_applied(
    sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    me = await me_of(preo)
    journal = journal_at(tmp_path, me)
    store = store_for(tmp_path, me, journal)
    runner = ActionRunner(preo, store=store, me=me, sleep=no_pause)
    rr = await requested(preo)
    await preo.refunds.approve(rr.id)  # an earlier attempt went through
    store.handle_connection_event("offline")
    events: list[ActionEvent] = []
    result = await runner.run(make("refunds.approve", "approve", id=rr.id), events.append)
    assert result.outcome == "applied"
    # Not sent again: the re-read answered, and it brought the store back online.
    assert [e.phase for e in events] == ["done"]
    assert store.connection == "online"
    assert list(sandbox.db.state_changes(rr.id)).count(("requested", "ready")) == 1


async def test_offline_store_with_an_unreachable_server_refuses(
    sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    me = await me_of(preo)
    journal = journal_at(tmp_path, me)
    store = store_for(tmp_path, me, journal)
    runner = ActionRunner(preo, store=store, me=me, sleep=no_pause)
    rr = await requested(preo)
    store.handle_connection_event("offline")
    await set_faults(sandbox, **DROP_ALL)
    result = await runner.run(make("refunds.approve", "approve", id=rr.id))
    assert (result.outcome, result.message) == ("refused", "not sent: offline")
    await set_faults(sandbox, error_rate=0.0)
    assert (await preo.refunds.get(rr.id)).status == "requested"
    assert journal.read() == []


async def test_read_only_store_refuses_before_sending(
    sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    me = await me_of(preo)
    store = store_for(tmp_path, me, journal_at(tmp_path, me), read_only=True)
    runner = ActionRunner(preo, store=store, me=me, sleep=no_pause)
    rr = await requested(preo)
    result = await runner.run(make("refunds.approve", "approve", id=rr.id))
    assert result.outcome == "refused" and result.error is not None
    assert (await preo.refunds.get(rr.id)).status == "requested"


async def test_conflict_explained_by_an_earlier_attempt_is_applied(
    sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    me = await me_of(preo)
    journal = journal_at(tmp_path, me)
    runner = ActionRunner(preo, journal=journal, me=me, sleep=no_pause)
    rr = await requested(preo)
    # The first attempt went through under another key (e.g. before a crash): now a 409.
    await preo.refunds.approve(rr.id)
    result = await runner.run(make("refunds.approve", "approve", id=rr.id))
    assert result.outcome == "applied" and result.value.status in APPROVED
    [entry] = journal.read()
    assert entry.outcome == "ok"
    assert (entry.error or "").startswith("applied by an earlier attempt")


async def test_conflict_on_an_object_that_cannot_be_re_read_fails(
    sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    """A sent campaign cannot be cancelled (409) and the re-read says it moved on."""
    runner = ActionRunner(preo, journal=journal_at(tmp_path, None), sleep=no_pause)
    sent = (await preo.campaigns.list(status="sent")).results[0]
    result = await runner.run(make("campaigns.cancel", "cancel", id=sent.id))
    assert result.outcome == "elsewhere" and "sent" in result.message


async def test_a_validation_refusal_fails_and_is_journalled(
    sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    journal = journal_at(tmp_path, None)
    runner = ActionRunner(preo, journal=journal, sleep=no_pause)
    draft = (await preo.campaigns.list(status="draft")).results[0]
    result = await runner.run(
        make("campaigns.schedule", "schedule", id=draft.id, scheduled_at="2001-01-01T00:00:00Z")
    )
    assert result.outcome == "failed" and result.error is not None
    [entry] = journal.read()
    assert entry.outcome == "failed" and entry.error == result.message


async def test_an_unwritable_journal_refuses_the_write(
    sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    journal = Journal(blocker / "journal.jsonl", profile="sandbox", server=BASE_URL)
    runner = ActionRunner(preo, journal=journal, sleep=no_pause)
    rr = await requested(preo)
    result = await runner.run(make("refunds.approve", "approve", id=rr.id))
    assert result.outcome == "refused"
    assert result.message.startswith("The journal cannot be written")
    assert (await preo.refunds.get(rr.id)).status == "requested"


async def test_lost_answer_that_cannot_be_re_read_stays_unknown_until_resumed(
    sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    me = await me_of(preo)
    journal = journal_at(tmp_path, me)
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    runner = ActionRunner(preo, journal=journal, me=me, sleep=pause)
    rr = await requested(preo)
    await set_faults(sandbox, error_rate=1.0, kinds=["drop"], after_commit_ratio=1.0)
    result = await runner.run(make("refunds.approve", "approve", id=rr.id))
    assert result.outcome == "unknown" and result.error is not None
    # Backed off between the re-reads, doubling from CHECK_DELAY.
    assert pauses == [0.1, 0.2, 0.4]
    [entry] = journal.read()
    assert entry.outcome == "unknown"
    assert [e.action_id for e in runner.unresolved()] == [entry.action_id]

    await set_faults(sandbox, error_rate=0.0)
    events: list[ActionEvent] = []
    [resumed] = await runner.resume(events.append)
    assert resumed.outcome == "applied"
    assert [e.phase for e in events] == ["checking", "done"]
    [entry] = journal.read()
    assert entry.outcome == "ok"
    assert runner.unresolved() == []


async def test_a_failing_listener_does_not_stop_the_action(
    sandbox: Sandbox, preo: PreoClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    runner = ActionRunner(preo, journal=journal_at(tmp_path, None), sleep=no_pause)
    rr = await requested(preo)

    def broken(_event: ActionEvent) -> None:
        raise RuntimeError("listener bug")

    with caplog.at_level(logging.ERROR, logger="preo_tui.actions.runner"):
        result = await runner.run(make("refunds.approve", "approve", id=rr.id), broken)
    assert result.applied
    assert caplog.text.count("action listener failed") == 2  # sending, done


def entry(**fields: Any) -> SimpleNamespace:
    base: dict[str, Any] = {
        "operation": "refunds.approve",
        "args": {"id": "rfr_1"},
        "time": "2026-07-01T00:00:00+00:00",
        "summary": "approve",
        "idempotency_key": "k1",
        "object_ids": ["rfr_1"],
        "resource": "refunds",
        "action_id": "a1",
    }
    base.update(fields)
    return SimpleNamespace(**base)


def test_action_of_rebuilds_an_action_or_none() -> None:
    runner = ActionRunner(None)
    action = runner.action_of(entry())
    assert action is not None
    assert (action.key, action.journal_id, action.object_id) == ("k1", "a1", "rfr_1")
    assert action.started is not None and action.started.year == 2026
    # An unreadable time: no start (a create is then matched without a lower bound).
    untimed = runner.action_of(entry(time="yesterday"))
    assert untimed is not None and untimed.started is None
    assert runner.action_of(entry(operation="refunds.nope")) is None
    assert runner.action_of(entry(operation="refunds.get")) is None  # a read, not a write
    assert runner.action_of(entry(args=None)) is None
    assert runner.unresolved() == []  # no journal


async def test_retry_of_an_entry_without_its_operation_is_refused() -> None:
    runner = ActionRunner(None)
    with pytest.raises(ValueError, match="cannot be resent"):
        await runner.retry(entry(operation=None))
