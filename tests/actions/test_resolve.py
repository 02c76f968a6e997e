"""Resolution by re-reading, per operation kind, against the in-process sandbox: for each kind
of write (state transition, update, delete, create, duplicate) a re-read says applied, not
applied or changed elsewhere, and a failed re-read leaves the action unknown (it raises)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from types import SimpleNamespace
from typing import Any

import pytest

from preo_tui.actions import make
from preo_tui.actions.resolve import ResolveContext, can_resolve, resolve, same, status_of
from preo_tui.api import PreoClient
from preo_tui.api.errors import NotFound
from tests.api.conftest import preo_client
from tests.fixtures.sandbox import SANDBOX_NOW, Sandbox


@pytest.fixture
def sandbox(frozen_clock: Any, sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    """A sandbox whose background state machines are not started: the objects stay in the
    states the tests put them in (a processing segment does not complete meanwhile)."""
    return sandbox_factory()


@pytest.fixture
async def preo(sandbox: Sandbox) -> AsyncIterator[PreoClient]:
    async with preo_client(sandbox) as client:
        yield client


async def campaign_in(client: PreoClient, status: str) -> Any:
    page = await client.campaigns.list(status=status, ordering="created")
    assert page.results, f"the seed has a {status} campaign"
    return page.results[0]


async def segment_in(client: PreoClient, status: str) -> Any:
    page = await client.segments.list(status=status, ordering="created")
    assert page.results, f"the seed has a {status} segment"
    return page.results[0]


# -- pure helpers ------------------------------------------------------------------------------


class Colour(Enum):
    RED = "red"


def test_same_compares_numbers_as_decimals_and_times_as_instants() -> None:
    assert same(10, "10.00")
    assert same(1.5, Decimal("1.50"))
    assert not same(1.5, "1.6")
    assert not same(3, "not a number")
    assert same("2026-07-03T10:00:00Z", "2026-07-03T12:00:00+02:00")
    assert same("2026-07-03T10:00:00", datetime(2026, 7, 3, 10, tzinfo=UTC))
    assert not same("2026-07-03T10:00:00Z", "2026-07-03T10:00:01Z")
    assert not same("abc", "abd")
    assert same("red", Colour.RED)


def test_same_dicts_are_a_subset_and_lists_match_pairwise() -> None:
    assert same({"a": 1, "b": None}, {"a": "1", "c": 2})
    assert not same({"a": 1}, {"b": 1})
    assert not same({"a": 1}, {"a": 2})
    assert same([1, "x"], [Decimal(1), "x"])
    assert not same([1], [1, 2])
    assert not same([1, 2], [1, 3])
    assert same(None, None)
    assert not same(None, "x")
    assert not same("x", None)


def test_status_of_reads_enums_strings_and_missing_statuses() -> None:
    assert status_of(SimpleNamespace(status=Colour.RED)) == "red"
    assert status_of(SimpleNamespace(status="draft")) == "draft"
    assert status_of(SimpleNamespace(status=None)) == ""
    assert status_of(object()) == ""


def test_which_operations_can_be_resolved() -> None:
    assert can_resolve("refunds.approve")
    assert can_resolve("campaigns.update")  # generic: compare the fields
    assert can_resolve("segments.delete")  # generic: 404
    assert can_resolve("editions.duplicate")
    assert not can_resolve("segments.validate_cel")
    assert not can_resolve("webhooks.rotate_secret")
    assert can_resolve("files.upload")  # a file of that name and size made since


async def test_an_operation_without_a_resolver_raises_lookup_error() -> None:
    action = make("webhooks.rotate_secret", "rotate", id="whe_x")
    with pytest.raises(LookupError, match="no resolver"):
        await resolve(None, action)


async def test_an_update_without_an_object_id_cannot_be_re_read() -> None:
    action = make("campaigns.update", "rename", name="x")
    with pytest.raises(LookupError, match="no object id"):
        await resolve(None, action)


# -- state transitions ---------------------------------------------------------------------------


async def test_campaign_schedule_applied_not_applied_and_elsewhere(
    sandbox: Sandbox, preo: PreoClient
) -> None:
    draft = await campaign_in(preo, "draft")
    when = (SANDBOX_NOW + timedelta(days=2)).isoformat()
    action = make("campaigns.schedule", "schedule", id=draft.id, scheduled_at=when)

    before = await resolve(preo, action)
    assert before.state == "not_applied"
    assert "still draft" in before.note

    await preo.campaigns.schedule(draft.id, when)
    after = await resolve(preo, action)
    assert after.state == "applied"
    assert after.value.id == draft.id and "scheduled" in after.note

    # Scheduled, but for another time: the same status is not this action.
    other = make(
        "campaigns.schedule",
        "schedule",
        id=draft.id,
        scheduled_at=(SANDBOX_NOW + timedelta(days=3)).isoformat(),
    )
    assert (await resolve(preo, other)).state == "not_applied"

    await preo.campaigns.cancel(draft.id)
    moved = await resolve(preo, action)
    assert moved.state == "elsewhere"
    assert moved.note == "changed elsewhere (now cancelled)"


async def test_campaign_cancel_and_send_now(sandbox: Sandbox, preo: PreoClient) -> None:
    scheduled = await campaign_in(preo, "scheduled")
    cancel = make("campaigns.cancel", "cancel", id=scheduled.id)
    assert (await resolve(preo, cancel)).state == "not_applied"
    await preo.campaigns.cancel(scheduled.id)
    assert (await resolve(preo, cancel)).state == "applied"
    send = make("campaigns.send_now", "send", id=scheduled.id)
    assert (await resolve(preo, send)).state == "elsewhere"

    sent = await campaign_in(preo, "sent")
    # A sent campaign: a send-now is applied, a cancel was overtaken.
    assert (await resolve(preo, make("campaigns.send_now", "s", id=sent.id))).state == "applied"
    late = await resolve(preo, make("campaigns.cancel", "c", id=sent.id))
    assert late.state == "elsewhere" and "sent" in late.note


async def test_segment_reset_to_draft(sandbox: Sandbox, preo: PreoClient) -> None:
    busy = await segment_in(preo, "processing")
    action = make("segments.reset_to_draft", "reset", id=busy.id)
    before = await resolve(preo, action)
    assert (
        before.state == "not_applied" and before.note == "not applied (re-read: still processing)"
    )
    await preo.segments.reset_to_draft(busy.id)
    assert (await resolve(preo, action)).state == "applied"
    # A segment whose calculation ended meanwhile cannot be reset (the server refuses with 409):
    # not something to resend, but a change made elsewhere.
    done = await segment_in(preo, "completed")
    ended = await resolve(preo, make("segments.reset_to_draft", "reset", id=done.id))
    assert ended.state == "elsewhere" and ended.note == "changed elsewhere (now completed)"


async def test_segment_recalculate(sandbox: Sandbox, preo: PreoClient) -> None:
    completed = await segment_in(preo, "completed")
    # Started now, and the segment was last calculated before: not applied.
    action = make("segments.recalculate", "recalc", id=completed.id).again(started=SANDBOX_NOW)
    stale = await resolve(preo, action)
    assert stale.state == "not_applied" and "not recalculated" in stale.note
    # Calculated since the action started (within the tolerance): applied.
    earlier = action.again(started=completed.last_calculated)
    assert (await resolve(preo, earlier)).state == "applied"

    pending = await segment_in(preo, "pending")
    queued = make("segments.recalculate", "recalc", id=pending.id)
    assert (await resolve(preo, queued)).state == "applied"

    draft = await segment_in(preo, "draft")
    reset = await resolve(preo, make("segments.recalculate", "recalc", id=draft.id))
    assert reset.state == "elsewhere" and reset.note == "changed elsewhere (now draft)"


async def test_refund_approval_decided_by_someone_else_is_elsewhere(
    sandbox: Sandbox, preo: PreoClient
) -> None:
    rr = (await preo.refunds.list(status="requested", ordering="created")).results[0]
    action = make("refunds.approve", "approve", id=rr.id)
    me = str((await preo.auth.me()).id)
    assert (await resolve(preo, action, ResolveContext(me=me))).state == "not_applied"
    await preo.refunds.approve(rr.id)
    assert (await resolve(preo, action, ResolveContext(me=me))).state == "applied"
    # The same approval seen by another user: it was decided elsewhere.
    other = await resolve(preo, action, ResolveContext(me="usr_someone_else"))
    assert other.state == "elsewhere"
    # A reject of an approved request: elsewhere, with the status now.
    rejected = await resolve(preo, make("refunds.reject", "reject", id=rr.id, reason="x"))
    assert rejected.state == "elsewhere" and "decided elsewhere" in rejected.note


# -- updates and deletes -------------------------------------------------------------------------


async def test_generic_update_compares_the_sent_fields(sandbox: Sandbox, preo: PreoClient) -> None:
    draft = await campaign_in(preo, "draft")
    action = make("campaigns.update", "rename", id=draft.id, name="Renamed for the test")
    missing = await resolve(preo, action)
    assert missing.state == "not_applied" and "differ" in missing.note
    await preo.campaigns.update(draft.id, name="Renamed for the test")
    done = await resolve(preo, action)
    assert done.state == "applied" and done.value.name == "Renamed for the test"


async def test_generic_delete_is_applied_on_404(sandbox: Sandbox, preo: PreoClient) -> None:
    draft = await campaign_in(preo, "draft")
    action = make("campaigns.delete", "delete", id=draft.id)
    still = await resolve(preo, action)
    assert still.state == "not_applied" and still.value.id == draft.id
    await preo.campaigns.delete(draft.id)
    gone = await resolve(preo, action)
    assert gone.state == "applied" and gone.value is None


async def test_a_failed_re_read_raises_and_the_action_stays_unknown(
    sandbox: Sandbox, preo: PreoClient
) -> None:
    action = make("campaigns.schedule", "schedule", id="cmp_does_not_exist", scheduled_at="x")
    with pytest.raises(NotFound):
        await resolve(preo, action)


# -- creates and duplicates ----------------------------------------------------------------------


async def test_named_create_found_only_once_made(sandbox: Sandbox, preo: PreoClient) -> None:
    seg = await segment_in(preo, "completed")
    name = "Resolve test campaign"
    args: dict[str, Any] = dict(  # noqa: C408
        organization_id=seg.organization_id,
        edition_id=seg.edition_id,
        segment_id=seg.id,
        name=name,
        channel="sms",
        sms_body="hello",
    )
    action = make("campaigns.create", "create", **args).again(started=SANDBOX_NOW)
    absent = await resolve(preo, action)
    assert absent.state == "not_applied" and absent.value is None
    made = await preo.campaigns.create(**args)
    found = await resolve(preo, action)
    assert found.state == "applied" and found.value.id == made.id
    assert found.note == f"confirmed by re-reading: created as {made.id}"
    # Made long before the action started (beyond the clock skew): not this action's.
    later = action.again(started=SANDBOX_NOW + timedelta(hours=1))
    assert (await resolve(preo, later)).state == "not_applied"


async def test_duplicate_is_found_by_its_new_name_not_the_source(
    sandbox: Sandbox, preo: PreoClient
) -> None:
    source = await preo.editions.get(sandbox.editions["current"])
    action = make("editions.duplicate", "duplicate", id=source.id, name="Copy for resolve")
    assert (await resolve(preo, action)).state == "not_applied"
    # Searching by the source's own name finds only the source: never "applied" by itself.
    own = make("editions.duplicate", "duplicate", id=source.id, name=source.name)
    assert (await resolve(preo, own)).state == "not_applied"
    copy = await preo.editions.duplicate(source.id, name="Copy for resolve")
    found = await resolve(preo, action)
    assert found.state == "applied" and found.value.id == copy.id != source.id
