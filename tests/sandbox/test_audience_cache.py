"""The evaluation cache of segment audiences: reused while nothing changes, dropped on writes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

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


def people_rows(people: audience.People) -> list[tuple[object, ...]]:
    return [
        (p.pk, p.id, p.email, p.phone, p.consents, p.has_pass, p.row, p.orders)
        for p in people.persons
    ]


def test_a_write_patches_the_cache_with_the_users_it_concerns(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    """After writes of every kind the cache is patched (only the users written are read
    again), and holds exactly what a full read of the database gives."""
    box = sandbox_factory()
    db = box.db
    edition = current(box)
    eid = edition["id"]
    first = audience.load_people(db, edition)
    a, b, c = first.persons[0], first.persons[1], first.persons[2]
    outsider = db.one(
        "SELECT id FROM users WHERE organization_id = ? AND id NOT IN"
        " (SELECT customer_id FROM orders WHERE edition_id = ?) ORDER BY pk LIMIT 1",
        (edition["organization_id"], eid),
    )
    assert outsider is not None
    order = db.one("SELECT * FROM orders WHERE customer_id = ? AND edition_id = ?", (b.id, eid))
    assert order is not None
    with db.transaction():
        db.execute("UPDATE users SET language = 'pl', phone = NULL WHERE id = ?", (a.id,))
        db.execute(
            "UPDATE orders SET amount = 4242.0, status = 'cancelled' WHERE id = ?", (order["id"],)
        )
        db.execute("DELETE FROM purchases WHERE order_id = ?", (order["id"],))
        db.execute("DELETE FROM user_consents WHERE user_id = ?", (c.id,))
        db.execute(  # a user who joins the edition with a new order
            "INSERT INTO orders (id, order_number, edition_id, organization_id, customer_id,"
            " status, type, amount, currency, search, created, modified)"
            " VALUES ('ord_patch_test', 'NF26-999999', ?, ?, ?, 'completed', 'online', 10.0,"
            " 'EUR', '', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')",
            (eid, edition["organization_id"], outsider["id"]),
        )
    patched = audience.load_people(db, edition)
    assert patched is not first and patched.patches == first.patches + 1
    assert patched.fingerprint == audience.fingerprint(db, edition)
    audience.forget_people()
    full = audience.load_people(db, edition)
    assert full.patches == 0
    assert people_rows(patched) == people_rows(full)
    assert outsider["id"] in {p.id for p in patched.persons}
    assert people_rows(patched) != people_rows(first)
    # the audiences agree too
    condition = 'user.language == "pl" || orders.exists(o, o.amount == 4242.0)'
    assert a.id in audience.compute_audience(db, edition, condition).user_ids


def test_many_writes_read_everything_again(
    sandbox_factory: Callable[..., Sandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    from preo_tui.sandbox import audience_data

    monkeypatch.setattr(audience_data, "PATCH_LIMIT", 3)
    box = sandbox_factory()
    edition = current(box)
    first = audience.load_people(box.db, edition)
    with box.db.transaction():
        box.db.execute("UPDATE users SET language = 'pl' WHERE pk <= 40")
    again = audience.load_people(box.db, edition)
    assert again is not first and again.patches == 0
    assert {p.id for p in again.persons if p.row[5] == "pl"} >= {
        p.id for p in first.persons if p.pk <= 40
    }
