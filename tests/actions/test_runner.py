"""The action runner without Textual, against the in-process sandbox and its fault injection:
lost answers before and after the commit, decisions made elsewhere, unknown journal entries
resolved after a restart, and a retry after a restart that reuses the original key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from preo_tui.actions import Action, ActionEvent, ActionRunner, make
from preo_tui.api import PreoClient
from preo_tui.store import Journal
from tests.api.conftest import preo_client, set_faults
from tests.api.test_sandbox_refunds import refundable_purchases
from tests.fixtures.sandbox import Sandbox

DROP_AFTER_COMMIT = {"error_rate": 1.0, "kinds": ["drop"], "after_commit_ratio": 1.0}
FAIL_BEFORE_HANDLER = {"error_rate": 1.0, "kinds": ["503"], "after_commit_ratio": 0.0}


@pytest.fixture
async def preo(sandbox: Sandbox) -> AsyncIterator[PreoClient]:
    async with preo_client(sandbox) as client:
        yield client


def journal_at(tmp_path: Path) -> Journal:
    journal = Journal(tmp_path / "journal.jsonl", profile="sandbox", server="http://sandbox.test")
    return journal


def runner_for(
    box: Sandbox, client: PreoClient, journal: Journal, me: str | None, *, heal: bool = True
) -> ActionRunner:
    """A runner whose pause between re-reads switches the sandbox's faults off (the network
    comes back while it is checking) when ``heal``."""

    async def pause(_seconds: float) -> None:
        if heal:
            await set_faults(box, error_rate=0.0)

    journal.user = me
    return ActionRunner(client, journal=journal, me=me, sleep=pause)


async def me_of(client: PreoClient) -> str:
    return str((await client.auth.me()).id)


async def first_requested(client: PreoClient) -> Any:
    return (await client.refunds.list(status="requested", ordering="created")).results[0]


def approvals(box: Sandbox, rid: str) -> int:
    return list(box.db.state_changes(rid)).count(("requested", "ready"))


async def test_lost_answer_after_commit_is_resolved_as_applied(
    sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    journal = journal_at(tmp_path)
    runner = runner_for(sandbox, preo, journal, await me_of(preo))
    rr = await first_requested(preo)
    action = make("refunds.approve", f"approve refund · order {rr.order_number}", id=rr.id)
    events: list[ActionEvent] = []
    await set_faults(sandbox, **DROP_AFTER_COMMIT)
    result = await runner.run(action, events.append)
    assert result.outcome == "applied"
    assert result.value.status != "requested"
    assert approvals(sandbox, rr.id) == 1
    assert [e.phase for e in events] == ["sending", "checking", "done"]
    [entry] = journal.read()
    assert entry.outcome == "ok" and "re-reading" in (entry.error or "")
    assert entry.operation == "refunds.approve" and entry.args == {"id": rr.id}
    assert entry.idempotency_key == action.key


async def test_lost_before_the_handler_is_not_applied_and_resent_with_the_same_key(
    sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    journal = journal_at(tmp_path)
    runner = runner_for(sandbox, preo, journal, await me_of(preo))
    runner.RESENDS = 0
    rr = await first_requested(preo)
    action = make("refunds.approve", "approve", id=rr.id)
    await set_faults(sandbox, **FAIL_BEFORE_HANDLER)
    result = await runner.run(action)
    assert result.outcome == "not_applied"
    assert approvals(sandbox, rr.id) == 0
    [entry] = journal.read()
    assert entry.outcome == "failed" and "not applied" in (entry.error or "")
    # Retried: the same key and arguments, one more attempt of the same journal entry.
    again = await runner.retry(entry)
    assert again.outcome == "applied"
    assert approvals(sandbox, rr.id) == 1
    [entry] = journal.read()
    assert (entry.outcome, entry.attempts, entry.idempotency_key) == ("ok", 2, action.key)


async def test_not_applied_is_resent_automatically_with_the_same_key(
    sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    journal = journal_at(tmp_path)
    runner = runner_for(sandbox, preo, journal, await me_of(preo))
    rr = await first_requested(preo)
    action = make("refunds.reject", "reject", id=rr.id, reason="duplicate")
    await set_faults(sandbox, **FAIL_BEFORE_HANDLER)
    result = await runner.run(action)
    assert result.outcome == "applied" and result.value.status == "rejected"
    [entry] = journal.read()
    assert (entry.outcome, entry.attempts, entry.idempotency_key) == ("ok", 2, action.key)
    keys = sandbox.db.query(
        "SELECT DISTINCT key FROM idempotency WHERE path LIKE ?", (f"%{rr.id}%",)
    )
    assert [row[0] for row in keys] == [action.key]


async def test_decided_elsewhere_is_reported_as_such(
    sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    journal = journal_at(tmp_path)
    runner = runner_for(sandbox, preo, journal, await me_of(preo))
    rr = await first_requested(preo)
    async with preo_client(sandbox, "manager") as colleague:
        await colleague.refunds.reject(rr.id, reason="handled by phone")
    result = await runner.run(make("refunds.approve", "approve", id=rr.id))
    assert result.outcome == "elsewhere"
    assert "rejected" in result.message
    assert approvals(sandbox, rr.id) == 0
    [entry] = journal.read()
    assert entry.outcome == "failed" and "elsewhere" in (entry.error or "")


async def test_decided_elsewhere_after_a_lost_answer(
    sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    """The answer is lost and meanwhile a colleague decided: the re-read says so."""
    journal = journal_at(tmp_path)
    me = await me_of(preo)
    rr = await first_requested(preo)

    async def colleague_then_heal(_seconds: float) -> None:
        await set_faults(sandbox, error_rate=0.0)

    runner = ActionRunner(preo, journal=journal, me=me, sleep=colleague_then_heal)
    runner.RESENDS = 0
    await set_faults(sandbox, **FAIL_BEFORE_HANDLER)
    # The colleague's write bypasses /v1 faults by going straight to the database layer.
    sandbox.db.execute("UPDATE refund_requests SET status = 'rejected' WHERE id = ?", (rr.id,))
    result = await runner.run(make("refunds.approve", "approve", id=rr.id))
    assert result.outcome == "elsewhere"
    [entry] = journal.read()
    assert "decided elsewhere (now rejected)" in (entry.error or "")


async def test_restart_resolves_unknown_entries_on_start(sandbox: Sandbox, tmp_path: Path) -> None:
    path = tmp_path
    async with preo_client(sandbox) as first:
        me = await me_of(first)
        journal = journal_at(path)
        runner = runner_for(sandbox, first, journal, me, heal=False)
        runner.CHECK_ATTEMPTS = 1
        one, two = (await first.refunds.list(status="requested", ordering="created")).results[:2]
        await set_faults(sandbox, **DROP_AFTER_COMMIT)
        lost = await runner.run(make("refunds.approve", "approve one", id=one.id))
        assert lost.outcome == "unknown"
        # A crash between the begin line and the request: pending, never sent.
        journal.begin(
            resource="refunds",
            action="approve",
            object_ids=[two.id],
            summary="approve two",
            idempotency_key="k-two",
            operation="refunds.approve",
            args={"id": two.id},
        )
    await set_faults(sandbox, error_rate=0.0)
    assert {e.outcome for e in journal_at(path).read()} == {"unknown", "pending"}

    # The next start: a new client and journal object on the same file.
    async with preo_client(sandbox) as second:
        journal = journal_at(path)
        journal.user = me
        runner = ActionRunner(second, journal=journal, me=me)
        assert len(runner.unresolved()) == 2
        results = {r.action.object_id: r.outcome for r in await runner.resume()}
        assert results == {one.id: "applied", two.id: "not_applied"}
        by_object = {e.object_ids[0]: e for e in journal.read()}
        assert by_object[one.id].outcome == "ok"
        assert by_object[two.id].outcome == "failed"
        assert runner.unresolved() == []
        assert approvals(sandbox, one.id) == 1 and approvals(sandbox, two.id) == 0


async def test_retry_after_restart_reuses_the_key_one_refund_request_not_two(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async with preo_client(sandbox) as first:
        me = await me_of(first)
        [purchase] = await refundable_purchases(first, 1)
        before = len(
            sandbox.db.query("SELECT id FROM refund_requests WHERE purchase_id = ?", (purchase.id,))
        )
        journal = journal_at(tmp_path)
        runner = runner_for(sandbox, first, journal, me, heal=False)
        runner.CHECK_ATTEMPTS = 1
        await set_faults(sandbox, **DROP_AFTER_COMMIT)
        action = make(
            "refunds.create",
            f"create refund of {purchase.product_name} · 1.50",
            purchase_id=purchase.id,
            reason="compensation",
            amount=Decimal("1.50"),
            comment="goodwill",
        )
        lost = await runner.run(action)
        assert lost.outcome == "unknown"  # the app dies here
    await set_faults(sandbox, error_rate=0.0)
    async with preo_client(sandbox) as second:
        journal = journal_at(tmp_path)
        journal.user = me
        runner = ActionRunner(second, journal=journal, me=me)
        [entry] = runner.unresolved()
        assert entry.args["amount"] == 1.5 and entry.idempotency_key == action.key
        result = await runner.retry(entry)
        assert result.outcome == "applied"
        rows = sandbox.db.query(
            "SELECT id FROM refund_requests WHERE purchase_id = ?", (purchase.id,)
        )
        assert len(rows) == before + 1  # one created, not two
        assert result.value.id == rows[-1][0]
        [entry] = journal.read()
        assert (entry.outcome, entry.attempts, entry.idempotency_key) == ("ok", 2, action.key)


async def test_a_create_whose_answer_was_lost_is_found_by_re_reading(
    sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    journal = journal_at(tmp_path)
    runner = runner_for(sandbox, preo, journal, await me_of(preo))
    [purchase] = await refundable_purchases(preo, 1)
    await set_faults(sandbox, **DROP_AFTER_COMMIT)
    result = await runner.run(
        make("refunds.create", "create", purchase_id=purchase.id, reason="other", comment="x1")
    )
    assert result.outcome == "applied"
    assert result.value.purchase_id == purchase.id
    rows = sandbox.db.query("SELECT id FROM refund_requests WHERE purchase_id = ?", (purchase.id,))
    assert len(rows) == 1


async def test_old_journal_lines_are_read_but_not_resumed(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_text(
        '{"v":1,"kind":"begin","action_id":"a1","time":"2026-07-01T00:00:00+00:00",'
        '"profile":"p","server":"s","resource":"refunds","action":"approve",'
        '"object_ids":["rfr_1"],"summary":"approve","idempotency_key":"k"}\n'
        '{"v":1,"kind":"outcome","action_id":"a1","outcome":"unknown","error":"lost",'
        '"time":"2026-07-01T00:00:01+00:00"}\n'
    )
    journal = Journal(path)
    [entry] = journal.read()
    assert entry.outcome == "unknown" and entry.operation is None and entry.args is None
    runner = ActionRunner(None, journal=journal)
    assert runner.action_of(entry) is None


def test_an_action_refuses_unknown_or_read_operations() -> None:
    with pytest.raises(ValueError):
        Action("refunds.nope", {}, "x")
    with pytest.raises(ValueError):
        Action("refunds.get", {"id": "x"}, "x")
