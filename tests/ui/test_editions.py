"""The ``:editions`` screen against the sandbox: every filter and ordering, the detail pane with
the healthcheck checklist, create/edit/duplicate forms (client-side checks send nothing; a
server 400 lands on its field), and choosing the app's current edition."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Checkbox, Input, OptionList, Select

from preo_tui.api.editions import Edition
from preo_tui.ui.editions.form import DuplicateEditionModal, EditionFormModal
from preo_tui.ui.editions.screen import EditionsScreen
from preo_tui.ui.widgets.choice import ChoiceModal
from tests.fixtures.app import (
    AppFactory,
    SandboxBackend,
    sandbox_profile,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import discard_form, open_first_page, plain, requests_sent

SIZE = (160, 48)


async def open_editions(pilot: Any) -> EditionsScreen:
    return await open_first_page(pilot, "editions", EditionsScreen, what="editions")


async def open_new_form(pilot: Any) -> EditionFormModal:
    """Press ``n`` on the list and wait for the new-edition form and its lookups."""
    await pilot.press("n")
    form = await wait_for_screen(pilot, EditionFormModal)
    await wait_for_workers(pilot)
    return form


async def choose(pilot: Any, label: str) -> None:
    """Pick the option whose label is ``label`` in the ChoiceModal on screen."""
    modal = await wait_for_screen(pilot, ChoiceModal)
    index = next(i for i, c in enumerate(modal.choices) if c.label == label)
    options = modal.query_one(OptionList)
    options.highlighted = index
    options.focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(pilot.app.screen, ChoiceModal))


async def reloaded(pilot: Any, screen: EditionsScreen) -> list[Edition]:
    await wait_for_workers(pilot)
    return screen.table.items


def db_edition(backend: SandboxBackend, edition_id: str) -> Any:
    return backend.state.db.one("SELECT * FROM editions WHERE id = ?", (edition_id,))


async def test_list_shows_the_organizations_editions_without_archived(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editions(pilot)
        names = [e.name for e in screen.table.items]
        assert names == ["2027", "2026", "2025", "Winter 2027"]  # -start_date, no dates last
        assert all(e.organization_id == app.ctx.organization.id for e in screen.table.items)
        status = plain(screen.query_one("#list-status"))
        assert status.startswith("1–4 of 4")
        assert "archived hidden" in plain(screen.query_one("#filter-bar"))


STATUS_CASES = [
    ("upcoming", "upcoming", {"2027"}),
    ("current", "current", {"2026"}),
    ("past", "past", {"2025"}),
    ("no dates", "no_dates", {"Winter 2027"}),
]
DRAFT_CASES = [
    ("drafts only", {"Winter 2027"}),
    ("published only", {"2025", "2026", "2027"}),
    ("drafts and published", {"2025", "2026", "2027", "Winter 2027"}),
]


async def test_status_and_draft_filters(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editions(pilot)
        for label, status, expected in STATUS_CASES:
            await pilot.press("s")
            await choose(pilot, label)
            await wait_until(pilot, lambda s=status: screen.status == s, what=label)
            await wait_until(pilot, lambda n=len(expected): screen.table.total == n, what=label)
            items = await reloaded(pilot, screen)
            assert {e.name for e in items} == expected, label
            assert {str(e.status) for e in items} == {status}
            assert label in plain(screen.query_one("#filter-bar"))
        await pilot.press("s")
        await choose(pilot, "any status")
        await wait_until(pilot, lambda: screen.table.total == 4, what="unfiltered")
        for label, expected in DRAFT_CASES:
            await pilot.press("d")
            await choose(pilot, label)
            await wait_until(pilot, lambda n=len(expected): screen.table.total == n, what=label)
            items = await reloaded(pilot, screen)
            assert {e.name for e in items} == expected, label


async def test_archive_through_the_edit_form_then_archived_filters(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editions(pilot)
        screen.table.move_to_id(next(e.id for e in screen.table.items if e.name == "2025"))
        await pilot.press("e")
        form = await wait_for_screen(pilot, EditionFormModal)
        await wait_for_workers(pilot)
        form.query_one("#f-is_archived", Checkbox).value = True
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, EditionFormModal), what="saved")
        await wait_until(pilot, lambda: screen.table.total == 3, what="archived hidden")
        assert "2025" not in {e.name for e in screen.table.items}
        past_id = sandbox_backend.state.db.scalar(
            "SELECT id FROM editions WHERE name = '2025' AND is_archived = 1"
        )
        assert past_id is not None
        await pilot.press("a")
        await choose(pilot, "archived only")
        await wait_until(pilot, lambda: screen.table.total == 1, what="archived only")
        assert [e.name for e in screen.table.items] == ["2025"]
        await pilot.press("a")
        await choose(pilot, "archived and not")
        await wait_until(pilot, lambda: screen.table.total == 4, what="all")


ORDERINGS = ["name", "start_date", "end_date", "created", "modified"]


async def test_every_ordering_both_ways(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editions(pilot)
        for ordering in ORDERINGS:
            for descending in (False, True):
                value = f"-{ordering}" if descending else ordering
                await pilot.press("o")
                modal = await wait_for_screen(pilot, ChoiceModal)
                label = next(c.label for c in modal.choices if c.value == value)
                await choose(pilot, label)
                await wait_until(pilot, lambda v=value: screen.table.ordering == v, what=value)
                items = await reloaded(pilot, screen)
                keys = [getattr(e, ordering) for e in items]
                present = [k for k in keys if k is not None]
                assert present == sorted(present, reverse=descending), value
                assert f"sorted by {value}" in plain(screen.query_one("#list-status"))


async def test_detail_shows_settings_and_healthcheck_checklist(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editions(pilot)
        draft = next(e for e in screen.table.items if e.name == "Winter 2027")
        screen.table.move_to_id(draft.id)
        await wait_until(pilot, lambda: draft.id in screen.health, what="healthcheck")
        await wait_for_workers(pilot)
        health = screen.health[draft.id]
        levels = {str(c.level) for c in health.checks}
        assert {"ok", "warning", "error"} <= levels
        assert health.ok is False
        text = plain(screen.query_one("#edition-health"))
        assert "✖ error" in text and "▲ warning" in text and "✔ ok" in text
        assert "No merchant account" in text
        info = plain(screen.query_one("#edition-info"))
        assert "Nordlys Festival Winter 2027" in info and draft.id in info
        # h re-runs it
        await pilot.press("h")
        await wait_until(pilot, lambda: draft.id in screen.health, what="healthcheck again")


async def test_enter_makes_the_edition_current_app_wide(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editions(pilot)
        assert app.ctx.edition is not None and app.ctx.edition.name == "2026"
        upcoming = next(e for e in screen.table.items if e.name == "2027")
        screen.table.move_to_id(upcoming.id)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.ctx.edition.id == upcoming.id, what="edition")
        assert app.ctx.edition.timezone == "Europe/Copenhagen"
        assert app.ctx.edition.currency == "DKK"
        await wait_for_workers(pilot)
        header = plain(screen.query_one("PreoHeader").query_one("#header-where"))
        assert "2027" in header
        # the list marks the current edition
        await wait_until(
            pilot,
            lambda: str(screen.table.get_row(upcoming.id)[0]).startswith("▸"),
            what="current edition marked",
        )


async def fill(form: Any, **values: str) -> None:
    for name, value in values.items():
        form.query_one(f"#f-{name}", Input).value = value


async def test_create_edition(make_app: AppFactory, sandbox_backend: SandboxBackend) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editions(pilot)
        base = screen.table.current_item
        assert base is not None
        form = await open_new_form(pilot)
        # choice fields come from field-choices
        tz_select = form.query_one("#f-timezone", Select)
        assert len(tz_select._options) > 100
        # typed for real into the name field
        form.query_one("#f-name", Input).focus()
        await pilot.press(*"2028")
        await fill(form, slug="nordlys-2028", start_date="2028-07-01", end_date="2028-07-04 23:00")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, EditionFormModal), what="saved")
        await wait_until(pilot, lambda: screen.table.total == 5, what="new row")
        await wait_for_workers(pilot)
        row = sandbox_backend.state.db.one("SELECT * FROM editions WHERE slug = 'nordlys-2028'")
        assert row is not None
        assert row["name"] == "2028"
        assert row["event_id"] == base.event_id
        assert row["timezone"] == "Europe/Copenhagen"
        # 2028-07-01 00:00 in Copenhagen (summer time, +02:00) is 2028-06-30 22:00 UTC
        assert row["start_date"].startswith("2028-06-30T22:00")
        assert row["end_date"].startswith("2028-07-04T21:00")
        assert screen.table.current_item is not None
        assert screen.table.current_item.slug == "nordlys-2028"
        journal = app.ctx.journal.read(limit=5)
        assert any(e.action == "create" and e.outcome == "ok" for e in journal)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": "X", "slug": "bad slug!"}, "slug", "Only letters, digits"),
        (
            {"name": "X", "start_date": "2028-07-04", "end_date": "2028-07-01"},
            "end_date",
            "end is before the start",
        ),
        ({"name": "X", "start_date": "2028-13-45"}, "start_date", "Not a date"),
        ({"name": "X", "end_date": "next friday"}, "end_date", "Not a date"),
        ({"name": ""}, "name", "A name is required"),
    ],
)
async def test_create_form_rejects_bad_input_without_sending(
    make_app: AppFactory, values: dict[str, str], field: str, message: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_editions(pilot)
        form = await open_new_form(pilot)
        before = requests_sent(app)
        await fill(form, **values)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.error_text(field) != "", what="field error")
        assert message in form.error_text(field)
        assert isinstance(app.screen, EditionFormModal)
        await wait_for_workers(pilot)
        assert requests_sent(app) == before
        assert form.sent == 0


async def test_server_400_lands_on_the_slug_field(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_editions(pilot)
        form = await open_new_form(pilot)
        before = requests_sent(app)
        await fill(form, name="2028", slug="nordlys-festival-2026")  # taken by the 2026 edition
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.error_text("slug") != "", what="server error")
        assert "already exists" in form.error_text("slug")
        assert requests_sent(app) == before + 1
        assert isinstance(app.screen, EditionFormModal)
        count = sandbox_backend.state.db.scalar("SELECT COUNT(*) FROM editions WHERE name = '2028'")
        assert count == 0
        await discard_form(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, EditionsScreen), what="closed")


async def test_edit_edition_sends_only_changes(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editions(pilot)
        upcoming = next(e for e in screen.table.items if e.name == "2027")
        original_start = db_edition(sandbox_backend, upcoming.id)["start_date"]
        screen.table.move_to_id(upcoming.id)
        await pilot.press("e")
        form = await wait_for_screen(pilot, EditionFormModal)
        await wait_for_workers(pilot)
        assert form.query_one("#f-slug", Input).value == upcoming.slug
        await fill(form, name="2027 edition", end_date="2026-01-01")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.error_text("end_date") != "", what="date order")
        await fill(form, end_date="")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, EditionFormModal), what="saved")
        await wait_for_workers(pilot)
        row = db_edition(sandbox_backend, upcoming.id)
        assert row["name"] == "2027 edition"
        assert row["end_date"] is None  # cleared
        assert row["start_date"] == original_start  # untouched field: not sent
        assert row["slug"] == upcoming.slug
        await wait_until(
            pilot,
            lambda: any(e.name == "2027 edition" for e in screen.table.items),
            what="row updated",
        )


async def test_duplicate_edition(make_app: AppFactory, sandbox_backend: SandboxBackend) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editions(pilot)
        current = next(e for e in screen.table.items if e.name == "2026")
        screen.table.move_to_id(current.id)
        await pilot.press("c")
        form = await wait_for_screen(pilot, DuplicateEditionModal)
        await fill(form, name="2026 rerun", slug="bad/slug", start_date="2026-09-01")
        before = requests_sent(app)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.error_text("slug") != "", what="slug error")
        # the copy keeps the original end (2026-07-05): a later start is refused locally too
        assert "give a new end" in form.error_text("start_date")
        assert requests_sent(app) == before
        await fill(form, slug="nordlys-2026-rerun", end_date="2026-09-03")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, DuplicateEditionModal))
        await wait_until(pilot, lambda: screen.table.total == 5, what="copy listed")
        row = sandbox_backend.state.db.one(
            "SELECT * FROM editions WHERE slug = 'nordlys-2026-rerun'"
        )
        assert row is not None and row["is_draft"] == 1 and row["name"] == "2026 rerun"
        products = sandbox_backend.state.db.scalar(
            "SELECT COUNT(*) FROM products WHERE edition_id = ?", (row["id"],)
        )
        assert products > 0


async def test_read_only_profile_refuses_writes_before_any_form(make_app: AppFactory) -> None:
    app = make_app(profile=sandbox_profile(read_only=True))
    async with app.run_test(size=SIZE) as pilot:
        await open_editions(pilot)
        for key in ("n", "e", "c"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, EditionsScreen)
        assert any("read-only" in n.message for n in app._notifications)


async def test_staff_cannot_create_and_is_told_inline(make_app: AppFactory) -> None:
    app = make_app(role="staff")
    async with app.run_test(size=SIZE) as pilot:
        await open_editions(pilot)
        form = await open_new_form(pilot)
        await fill(form, name="2029")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.general_error != "", what="403 shown")
        assert "Not allowed" in form.general_error
        assert isinstance(app.screen, EditionFormModal)


def test_field_helpers_check_input_without_a_server() -> None:
    from preo_tui.ui.editions.fields import (
        CONTRACT_LANGUAGES,
        FieldError,
        check_slug,
        choice_pairs,
        normalize_phone,
        parse_when,
    )

    # choices from the server, else the contract's list
    assert choice_pairs({"tax_type": [{"value": "vat", "label": "VAT"}]}, "tax_type", {}) == [
        ("VAT", "vat")
    ]
    fallback = choice_pairs(None, "default_language", CONTRACT_LANGUAGES)
    assert [v for _, v in fallback] == ["en", "da", "se", "nl", "pl"]
    # slug pattern
    assert check_slug(" nordlys-2028_b ") == "nordlys-2028_b"
    for bad in ("with space", "æøå", "a/b"):
        with pytest.raises(FieldError):
            check_slug(bad)
    # dates: malformed, offsets, time zones
    for bad in ("2026-02-30", "31/12/2026", "tomorrow", "2026-13-01 10:00"):
        with pytest.raises(FieldError):
            parse_when(bad, "Europe/Copenhagen")
    assert parse_when("", "UTC") is None
    moment = parse_when("2026-07-01 18:30", "Europe/Copenhagen")
    assert moment is not None and moment.utcoffset() is not None
    assert moment.isoformat() == "2026-07-01T18:30:00+02:00"
    assert parse_when("2026-07-01T16:30Z", "Europe/Copenhagen") == moment
    # phones: documented prefixes only
    assert normalize_phone("+45 20 12-34 56") == "+4520123456"
    assert normalize_phone("+358 40 123 4567") == "+358401234567"
    for bad in ("20123456", "+86 138 0013 8000", "+45 12ab34", "+45"):
        with pytest.raises(FieldError):
            normalize_phone(bad)


async def test_renaming_carries_into_the_full_name_and_the_switcher(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editions(pilot)
        upcoming = next(e for e in screen.table.items if e.name == "2027")
        assert upcoming.full_name and "2027" in upcoming.full_name
        screen.table.move_to_id(upcoming.id)
        await pilot.press("e")
        form = await wait_for_screen(pilot, EditionFormModal)
        await wait_for_workers(pilot)
        assert form.query_one("#f-full_name", Input).value == upcoming.full_name
        await fill(form, name="2027 encore")
        expected = upcoming.full_name.replace("2027", "2027 encore", 1)
        await wait_until(
            pilot,
            lambda: form.query_one("#f-full_name", Input).value == expected,
            what="full name follows the rename",
        )
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, EditionFormModal), what="saved")
        assert db_edition(sandbox_backend, upcoming.id)["full_name"] == expected
        # The switcher (e, palette, :edition) knows the new name without a restart.
        await wait_until(
            pilot, lambda: any(e.name == "2027 encore" for e in app.editions), what="switcher"
        )


async def test_a_duplicated_edition_appears_in_the_switcher(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_editions(pilot)
        current = next(e for e in screen.table.items if e.name == "2026")
        screen.table.move_to_id(current.id)
        await pilot.press("c")
        form = await wait_for_screen(pilot, DuplicateEditionModal)
        await fill(form, name="2026 rerun", slug="nordlys-2026-rerun", start_date="2026-09-01")
        await fill(form, end_date="2026-09-03")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, DuplicateEditionModal))
        await wait_until(
            pilot, lambda: any(e.name == "2026 rerun" for e in app.editions), what="switcher"
        )
        assert app.choose_edition("2026 rerun")
