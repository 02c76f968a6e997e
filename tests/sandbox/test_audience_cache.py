"""The evaluation cache of segment audiences: reused while nothing changes, dropped on writes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from preo_tui.sandbox import audience
from preo_tui.sandbox.db import Row
from tests.fixtures.sandbox import SANDBOX_NOW, Sandbox

BIG = "orders.exists(o, o.amount >= 99999.0)"


def current(box: Sandbox) -> Row:
    row = box.db.one("SELECT * FROM editions WHERE id = ?", (box.editions["current"],))
    assert row is not None
    return row


def test_people_are_reused_until_a_write(sandbox_factory: Callable[..., Sandbox]) -> None:
    box = sandbox_factory()
    edition = current(box)
    first = audience.load_people(box.db, edition)
    assert audience.load_people(box.db, edition) is first
    # writes to tables a condition cannot read keep the cache
    with box.db.transaction():
        box.db.execute("UPDATE segments SET description = 'x'")
    assert audience.load_people(box.db, edition) is first
    before = audience.data_version(box.db)
    with box.db.transaction():
        box.db.execute("UPDATE users SET language = language WHERE pk = 1")
    assert audience.data_version(box.db) == before + 1
    assert audience.load_people(box.db, edition) is not first


def test_an_order_write_changes_the_next_audience(sandbox_factory: Callable[..., Sandbox]) -> None:
    box = sandbox_factory()
    edition = current(box)
    assert audience.compute_audience(box.db, edition, BIG).user_ids == []
    order = box.db.one(
        "SELECT id, customer_id FROM orders WHERE edition_id = ? ORDER BY pk LIMIT 1",
        (edition["id"],),
    )
    assert order is not None
    with box.db.transaction():
        box.db.execute("UPDATE orders SET amount = 100000 WHERE id = ?", (order["id"],))
    assert audience.compute_audience(box.db, edition, BIG).user_ids == [order["customer_id"]]


def test_purchase_and_consent_writes_invalidate(sandbox_factory: Callable[..., Sandbox]) -> None:
    box = sandbox_factory()
    edition = current(box)
    person = audience.load_people(box.db, edition).persons[0]
    condition = '"cns_survey" in user.consents'
    had = person.id in audience.compute_audience(box.db, edition, condition).user_ids
    with box.db.transaction():
        if had:
            box.db.execute(
                "DELETE FROM user_consents WHERE user_id = ? AND consent_id = 'cns_survey'",
                (person.id,),
            )
        else:
            box.db.execute(
                "INSERT INTO user_consents (user_id, consent_id, created) VALUES (?, ?, ?)",
                (person.id, "cns_survey", "2026-01-01T00:00:00+00:00"),
            )
    now_in = person.id in audience.compute_audience(box.db, edition, condition).user_ids
    assert now_in is not had
    first = audience.load_people(box.db, edition)
    with box.db.transaction():
        box.db.execute("UPDATE purchases SET status = status WHERE pk = 1")
    assert audience.load_people(box.db, edition) is not first


def test_replacing_the_database_invalidates(sandbox_factory: Callable[..., Sandbox]) -> None:
    box, other = sandbox_factory(), sandbox_factory()
    edition = current(box)
    first = audience.load_people(box.db, edition)
    box.db.copy_from(other.db)  # same write counter, different content
    assert audience.load_people(box.db, current(box)) is not first


def test_a_sample_is_not_cached_and_matches_the_full_records(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    box = sandbox_factory()
    edition = current(box)
    people = audience.load_people(box.db, edition)
    usage = audience.field_usage('user.language == "da" && size(orders) > 1')
    some = audience.records_for(people, usage, [0, 2, 4])
    assert usage not in people.variants
    everyone = audience.records_for(people, usage)
    assert people.variants[usage].expanded() == everyone
    assert some == [everyone[0], everyone[2], everyone[4]]


DEDUPED = [
    'user.language == "da" && orders.exists(o, o.amount >= 500.0)',
    'orders.exists(o, o.purchases.exists(p, p.product_id == "prd_vip" && p.status == "active"))',
    '!orders.exists(o, o.status == "completed") && "cns_newsletter" in user.consents',
    'size(orders) > 1 && orders[0].type == "online"',
]


def test_equal_records_are_evaluated_once_with_the_same_outcome_per_user(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    """Users whose records are equal share one record (evaluated once); the audience is the
    one a plain evaluation of every user's own record selects, in the same order."""
    from preo_tui.cel import compile_condition

    box = sandbox_factory()
    edition = current(box)
    people = audience.load_people(box.db, edition)
    for condition in DEDUPED:
        usage = audience.field_usage(condition)
        variant = audience.variant_for(people, usage)
        assert variant.of_person is not None
        assert len(variant.records) < len(people.persons)  # some records were shared
        compiled = compile_condition(condition, audience.edition_context(box.db, edition))
        one_each = [dict(r) for r in variant.expanded()]  # a record object per user
        expected = [people.persons[i].id for i in compiled.select(one_each)]
        assert expected  # the condition selects someone, and not everyone
        assert len(expected) < len(people.persons)
        assert audience.compute_audience(box.db, edition, condition).user_ids == expected
        # the eligible subset (channel rules) maps onto the shared records the same way
        sms = audience.compute_audience(box.db, edition, condition, channel="sms")
        assert sms.user_ids == [u for u in expected if u in set(sms_reachable(people))]


def sms_reachable(people: audience.People) -> list[str]:
    return [p.id for p in people.persons if audience.eligible(p, "sms", None, False)]


def test_a_unique_field_keeps_one_record_per_user(sandbox_factory: Callable[..., Sandbox]) -> None:
    box = sandbox_factory()
    people = audience.load_people(box.db, current(box))
    variant = audience.variant_for(people, audience.field_usage('user.email.endsWith(".dk")'))
    assert variant.of_person is None and len(variant.records) == len(people.persons)


def test_a_file_database_is_read_from_a_snapshot_with_the_same_result(tmp_path: Path) -> None:
    """On disk the people are read through a second, read-only connection (requests go on
    meanwhile); inside a write transaction (the seed) through the database's own one."""
    from preo_tui.sandbox.settings import SandboxSettings
    from preo_tui.sandbox.state import SandboxState

    state = SandboxState(
        SandboxSettings(db=str(tmp_path / "s.sqlite3"), scale="tiny", seed_now=SANDBOX_NOW)
    )
    db = state.db
    try:
        eid = state.db.scalar(
            "SELECT edition_id FROM orders GROUP BY edition_id ORDER BY COUNT(*) DESC LIMIT 1"
        )
        edition = db.one("SELECT * FROM editions WHERE id = ?", (eid,))
        assert edition is not None
        conditions = [
            'user.language == "da"',
            'size(orders) > 1 && "cns_newsletter" in user.consents',
            'orders.exists(o, o.purchases.exists(p, p.status == "active"))',
        ]
        from_snapshot = [audience.compute_audience(db, edition, c).user_ids for c in conditions]
        audience.forget_people()
        with db.transaction():
            in_transaction = [
                audience.compute_audience(db, edition, c).user_ids for c in conditions
            ]
        assert from_snapshot == in_transaction and all(from_snapshot)
        first = audience.load_people(db, edition)
        with db.transaction():
            db.execute(
                "UPDATE orders SET amount = 123456 WHERE pk ="
                " (SELECT MIN(pk) FROM orders WHERE edition_id = ?)",
                (eid,),
            )
        again = audience.load_people(db, edition)
        assert again is not first
        assert any(o[0][4] == 123456 for p in again.persons for o in p.orders)
    finally:
        audience.forget_people()
        db.close()
