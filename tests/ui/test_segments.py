"""The ``:segments`` screen and the segment editor, driven with Pilot against the sandbox."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from textual.widgets import Input, Static

from preo_tui.cel import CONTRACT_VARIABLES, CelContext
from preo_tui.ui.segments.cel_editor import CelEditor
from preo_tui.ui.segments.editor import SegmentEditorScreen
from preo_tui.ui.segments.screen import ExportPathModal, SegmentsScreen
from preo_tui.ui.shell.jump import JumpPrompt
from preo_tui.ui.widgets.confirm import ConfirmModal
from tests.fixtures.app import (
    AppFactory,
    SandboxBackend,
    sandbox_profile,
    wait_for_home,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)
from tests.ui.helpers import select_by_name

USER_FIELDS = [
    "id",
    "email",
    "phone",
    "first_name",
    "last_name",
    "language",
    "country_code",
    "created",
    "consents",
]


async def open_segments(pilot: Any, *, by_keys: bool = False) -> SegmentsScreen:
    if by_keys:
        await wait_for_home(pilot)
        await pilot.press("colon")
        await wait_for_screen(pilot, JumpPrompt)
        await pilot.press(*"segments", "enter")
    else:
        app = pilot.app
        await wait_until(pilot, lambda: app.ctx.edition is not None, what="sign-in")
        assert app.jump("segments")
    screen: SegmentsScreen = await wait_for_screen(pilot, SegmentsScreen)
    await wait_until(
        pilot,
        lambda: screen.table.total is not None and screen.table.row_count > 0,
        what="segments",
    )
    await wait_until(pilot, lambda: screen.campaigns is not None, what="campaigns")
    await wait_for_workers(pilot)
    return screen


async def open_new_editor(pilot: Any) -> tuple[SegmentEditorScreen, CelEditor]:
    await open_segments(pilot)
    await pilot.press("n")
    editor_screen: SegmentEditorScreen = await wait_for_screen(pilot, SegmentEditorScreen)
    await wait_until(
        pilot, lambda: editor_screen.context_source == "edition", what="the edition's CEL context"
    )
    await wait_for_workers(pilot)
    editor = editor_screen.editor
    editor.focus_input()
    return editor_screen, editor


async def type_condition(
    pilot: Any, editor: CelEditor, text: str, *, expect: str | None = None
) -> None:
    await pilot.press(*text)
    wanted = text if expect is None else expect
    await wait_until(pilot, lambda: editor.text == wanted, what="the typed text")
    # a menu opened by typing would swallow the next enter/tab; close it like an operator would
    if editor.menu.is_open:
        await pilot.press("escape")


def problems_text(editor: CelEditor) -> str:
    return str(editor.query_one("#cel-problems", Static).render())


def verdict_text(editor: CelEditor) -> str:
    return str(editor.query_one("#cel-verdict", Static).render())


# -- the editor: local check, server verdict, completion ------------------------------------------


async def test_valid_condition_shows_no_error_and_an_estimate(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        _, editor = await open_new_editor(pilot)
        await type_condition(pilot, editor, 'user.language == "da"')
        assert editor.result.ok
        assert editor.diagnostics == ()
        assert problems_text(editor) == ""
        await wait_until(pilot, lambda: editor.server_state == "ok", what="the server's verdict")
        assert editor.verdict is not None and editor.verdict.estimated is not None
        assert editor.verdict.total is not None and editor.verdict.total > 0
        text = verdict_text(editor)
        assert f"≈ {editor.verdict.estimated:,} of {editor.verdict.total:,} users" in text
        assert 0 < editor.verdict.estimated < editor.verdict.total


async def test_unknown_field_points_at_the_field(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        _, editor = await open_new_editor(pilot)
        await type_condition(pilot, editor, 'user.agee == "x"')
        first = editor.diagnostics[0]
        assert (first.line, first.column, first.end_column) == (1, 6, 10)
        assert first.code == "unknown_field"
        assert "agee" in first.message
        assert "line 1, column 6" in problems_text(editor)
        assert "agee" in problems_text(editor)
        # the span is underlined in the editor and the message is written beside the line
        line = editor.area.get_line(0)
        underlined = {
            i
            for span in line.spans
            if getattr(span.style, "underline", False)
            for i in range(span.start, span.end)
        }
        assert underlined == set(range(5, 9))
        assert "◀" in line.plain and "agee" in line.plain.split("◀", 1)[1]
        assert editor.server_state == "local-invalid"
        assert "≈" not in verdict_text(editor)


async def test_each_kind_of_error_has_its_own_message_and_position(make_app: AppFactory) -> None:
    cases = {
        'user.language == "da': ("syntax", 1, 18, "unclosed string"),
        "size(orders)": ("not_bool", 1, 1, "bool"),
        "lenght(user.email) > 3": ("unknown_function", 1, 1, "lenght"),
    }
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        _, editor = await open_new_editor(pilot)
        messages = set()
        for text, (code, line, column, needle) in cases.items():
            editor.text = text[:-1]  # the text up to its last character, then one keystroke
            editor.area.move_cursor(editor.area.document.end)
            await type_condition(pilot, editor, text[-1], expect=text)
            first = editor.diagnostics[0]
            assert (first.code, first.line, first.column) == (code, line, column), text
            assert needle in first.message, first.message
            assert f"line {line}, column {column}" in problems_text(editor)
            messages.add(first.message)
        assert len(messages) == len(cases)


async def test_completion_after_user_dot_lists_the_user_fields(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        _, editor = await open_new_editor(pilot)
        await pilot.press(*"user.")
        await wait_until(pilot, lambda: editor.menu.is_open, what="the completion menu")
        completions = editor.menu.completions
        assert completions is not None
        assert completions.labels == USER_FIELDS
        details = {c.label: c.detail for c in completions.items}
        assert details["created"] == "timestamp" and details["consents"] == "list(string)"
        await pilot.press("down", "down", "tab")  # phone
        assert editor.text == "user.phone"
        assert not editor.menu.is_open
        # ctrl+n reopens; values come from the edition's context (languages here)
        await pilot.press("backspace", *"phone", *' == "')
        editor.text = 'user.language == "'
        editor.area.move_cursor(editor.area.document.end)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: editor.menu.is_open, what="value completion")
        assert editor.menu.completions is not None
        assert {"en", "da", "se", "nl", "pl"} <= set(editor.menu.completions.labels)
        await pilot.press("escape")
        assert not editor.menu.is_open
        assert isinstance(app.screen, SegmentEditorScreen)  # escape closed the menu only


async def test_product_values_are_offered_with_their_names(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        _, editor = await open_new_editor(pilot)
        editor.text = 'orders.exists(o, o.purchases.exists(p, p.product_id == "'
        editor.area.move_cursor(editor.area.document.end)
        assert editor.open_completion()
        items = editor.menu.completions.items if editor.menu.completions else ()
        vip = next(c for c in items if c.label == "prd_vip")
        assert vip.detail  # the product's name


async def test_server_unreachable_keeps_the_local_verdict(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        _, editor = await open_new_editor(pilot)
        sandbox_backend.go_offline()
        await type_condition(pilot, editor, "size(orders) > 1")
        await wait_until(pilot, lambda: editor.server_state == "unreachable", what="unreachable")
        assert editor.result.ok and editor.diagnostics == ()
        text = verdict_text(editor)
        assert "valid locally" in text and "server unreachable" in text and "≈" not in text


# -- saving ---------------------------------------------------------------------------------------


async def test_saving_creates_the_segment_on_the_sandbox(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        editor_screen, editor = await open_new_editor(pilot)
        editor_screen.query_one("#f-name", Input).value = "Polish speakers"
        editor_screen.query_one("#f-description", Input).value = "For the Polish mailing"
        await type_condition(pilot, editor, 'user.language == "pl"')
        await pilot.press("ctrl+s")
        screen = await wait_for_screen(pilot, SegmentsScreen)
        db = sandbox_backend.state.db
        await wait_until(
            pilot,
            lambda: db.one("SELECT * FROM segments WHERE name = ?", ("Polish speakers",)),
            what="the segment on the server",
        )
        row = db.one("SELECT * FROM segments WHERE name = ?", ("Polish speakers",))
        assert row is not None
        assert row["condition"] == 'user.language == "pl"'
        assert row["description"] == "For the Polish mailing"
        assert row["status"] == "draft"
        await wait_until(
            pilot,
            lambda: screen.current is not None and screen.current.id == row["id"],
            what="the cursor on the new segment",
        )


async def test_save_is_refused_while_the_local_check_fails(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        editor_screen, editor = await open_new_editor(pilot)
        editor_screen.query_one("#f-name", Input).value = "Broken"
        await type_condition(pilot, editor, "size(orders)")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SegmentEditorScreen)
        message = str(editor_screen.query_one("#f-message", Static).render())
        assert "invalid at line 1, column 1" in message
        db = sandbox_backend.state.db
        assert db.one("SELECT 1 FROM segments WHERE name = 'Broken'") is None


async def test_marketing_needs_a_consent(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        editor_screen, editor = await open_new_editor(pilot)
        editor_screen.query_one("#f-name", Input).value = "Promo"
        editor_screen.query_one("#f-type").value = "marketing"  # type: ignore[attr-defined]
        await pilot.pause()
        assert not editor_screen.query_one("#row-consent").has_class("-hidden")
        await type_condition(pilot, editor, "size(orders) > 0")
        assert editor_screen.refusal() is not None
        assert "consent" in editor_screen.refusal()[0]


async def test_a_server_400_on_condition_is_shown_at_its_position(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        editor_screen, editor = await open_new_editor(pilot)
        # Make the local checker more permissive than the server, so that they disagree.
        lenient = CelContext.from_schema({**CONTRACT_VARIABLES, "vip": "bool"})
        editor.set_context(lenient)
        editor_screen.query_one("#f-name", Input).value = "Disagreement"
        await type_condition(pilot, editor, "size(orders) > 0 && vip")
        assert editor.result.ok
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: editor.server_diagnostics != (), what="the server's 400")
        first = editor.server_diagnostics[0]
        assert (first.line, first.column) == (1, 21)
        assert first.end_column == 24
        assert "vip" in first.message
        assert "server: " in problems_text(editor)
        assert isinstance(app.screen, SegmentEditorScreen)
        assert "rejects the condition" in str(
            editor_screen.query_one("#f-message", Static).render()
        )
        assert (
            sandbox_backend.state.db.one("SELECT 1 FROM segments WHERE name = 'Disagreement'")
            is None
        )


async def test_editing_a_segment_updates_it(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_segments(pilot)
        item = await select_by_name(pilot, screen, "Danish speakers")
        screen.action_edit()
        editor_screen = await wait_for_screen(pilot, SegmentEditorScreen)
        await wait_for_workers(pilot)
        editor = editor_screen.editor
        assert editor.text == 'user.language == "da"'
        editor.focus_input()
        editor.area.move_cursor(editor.area.document.end)
        await pilot.press(*' || user.language == "se"')
        if editor.menu.is_open:
            await pilot.press("escape")
        await pilot.press("ctrl+s")
        await wait_for_screen(pilot, SegmentsScreen)
        db = sandbox_backend.state.db
        await wait_until(
            pilot,
            lambda: (
                db.one("SELECT condition FROM segments WHERE id = ?", (item.id,))["condition"]
                == 'user.language == "da" || user.language == "se"'
            ),
            what="the update",
        )
        row = db.one("SELECT status FROM segments WHERE id = ?", (item.id,))
        assert row is not None and row["status"] == "draft"  # a new condition needs a recount


async def test_escape_on_a_changed_form_asks_before_discarding(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        editor_screen, editor = await open_new_editor(pilot)
        await type_condition(pilot, editor, "size(orders) > 0")
        editor_screen.query_one("#f-name", Input).focus()
        await pilot.press("escape")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("n")
        await wait_for_screen(pilot, SegmentEditorScreen)
        assert editor.text == "size(orders) > 0"


async def test_snippets_insert_a_contract_example(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        _, editor = await open_new_editor(pilot)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ChoiceModal", what="list")
        await pilot.press("enter")
        await wait_for_screen(pilot, SegmentEditorScreen)
        assert editor.text == 'user.language == "da"'
        assert editor.result.ok


# -- list, detail and actions ---------------------------------------------------------------------


async def test_list_filters_and_detail(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_segments(pilot, by_keys=True)
        statuses = {str(s.status) for s in screen.table.items}
        assert {"completed", "draft", "pending", "processing", "failed"} <= statuses
        screen.set_filter("status", "completed")
        await wait_until(
            pilot,
            lambda: (
                screen.table.items and {str(s.status) for s in screen.table.items} == {"completed"}
            ),
            what="the status filter",
        )
        # the filter picker, by keys: type to narrow it, enter picks
        await pilot.press("f")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ChoiceModal", what="picker")
        await pilot.press(*"type: marketing", "enter")
        await wait_for_screen(pilot, SegmentsScreen)
        assert screen.filters == {"status": "completed", "type": "marketing"}
        await wait_until(
            pilot,
            lambda: [s.name for s in screen.table.items] == ["Big spenders"],
            what="the type filter",
        )
        await wait_for_workers(pilot)
        detail = str(screen.query_one("#seg-campaigns", Static).render())
        assert "blocks delete" in detail
        condition = screen.query_one("#seg-condition", Static).render()
        assert "orders.exists" in str(condition)
        screen.set_filter("type", None)
        screen.set_filter("status", None)
        screen.apply_filter("danish")
        await wait_until(
            pilot,
            lambda: [s.name for s in screen.table.items] == ["Danish speakers"],
            what="the text filter",
        )


async def test_recalculating_updates_the_user_count_live(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_segments(pilot)
        item = await select_by_name(pilot, screen, "Newsletter, no orders")
        assert str(item.status) == "draft" and item.user_count is None
        seen: list[str] = []
        original = screen._adopt

        def spy(segment: Any) -> None:
            seen.append(str(segment.status))
            original(segment)

        screen._adopt = spy  # type: ignore[method-assign]
        await pilot.press("c")

        def row() -> Any:
            return next(s for s in screen.table.items if s.id == item.id)

        await wait_until(pilot, lambda: str(row().status) == "completed", what="completed")
        db = sandbox_backend.state.db
        expected = db.one("SELECT user_count FROM segments WHERE id = ?", (item.id,))
        assert expected is not None
        assert row().user_count == expected["user_count"]
        assert seen[0] == "pending" and seen[-1] == "completed"
        assert db.state_changes(item.id)[-3:] == [
            ("draft", "pending"),
            ("pending", "processing"),
            ("processing", "completed"),
        ]
        assert screen.current is not None and screen.current.user_count == expected["user_count"]


async def test_reset_a_stuck_segment_to_draft(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_segments(pilot)
        item = await select_by_name(pilot, screen, "Swedish speakers with a phone")
        assert str(item.status) == "processing"
        await pilot.press("b")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: str(next(s for s in screen.table.items if s.id == item.id).status) == "draft",
            what="draft",
        )
        row = sandbox_backend.state.db.one("SELECT status FROM segments WHERE id = ?", (item.id,))
        assert row is not None and row["status"] == "draft"


async def test_export_writes_a_csv_with_user_count_rows(
    make_app: AppFactory, tmp_path: Path
) -> None:
    target = tmp_path / "danish.csv"
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_segments(pilot)
        item = await select_by_name(pilot, screen, "Danish speakers")
        assert item.user_count and item.user_count > 0
        await pilot.press("x")
        modal = await wait_for_screen(pilot, ExportPathModal)
        modal.query_one(Input).value = str(target)
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.last_export == target.resolve(), what="export")
        with target.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == ["id", "email", "phone", "first_name", "last_name", "language"]
        assert len(rows) - 1 == item.user_count
        assert screen.last_export_rows == item.user_count
        shown = str(screen.query_one("#seg-export", Static).render())
        assert str(target.resolve()) in shown
        screen.action_copy_export_path()
        assert app.last_copied == str(target.resolve())

        # an existing file is not replaced without asking
        target.write_text("keep me\n", encoding="utf-8")
        await pilot.press("x")
        modal = await wait_for_screen(pilot, ExportPathModal)
        modal.query_one(Input).value = str(target)
        await pilot.press("enter")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("n")
        await wait_for_screen(pilot, SegmentsScreen)
        await wait_for_workers(pilot)
        assert target.read_text(encoding="utf-8") == "keep me\n"


async def test_export_refuses_a_segment_that_is_not_completed(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_segments(pilot)
        await select_by_name(pilot, screen, "Corporate addresses")
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, SegmentsScreen)
        assert any("only a completed segment" in n.message for n in app._notifications)


async def test_delete_is_blocked_with_the_servers_reason(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_segments(pilot)
        item = await select_by_name(pilot, screen, "Big spenders")
        await pilot.press("d")
        modal = await wait_for_screen(pilot, ConfirmModal)
        assert "Used by" in modal.body_text
        await pilot.press("y")
        await wait_until(
            pilot,
            lambda: any(n.title == "Refused by the server" for n in app._notifications),
            what="the refusal",
        )
        refusal = next(n for n in app._notifications if n.title == "Refused by the server")
        assert "uses this segment" in refusal.message
        assert sandbox_backend.state.db.one("SELECT 1 FROM segments WHERE id = ?", (item.id,))


async def test_delete_an_unused_segment(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_segments(pilot)
        unused = [s for s in screen.table.items if not screen.campaigns_using(s.id)]
        assert unused, "the seed has segments no campaign uses"
        item = await select_by_name(pilot, screen, unused[0].name or "")
        await pilot.press("d")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("y")
        await wait_until(
            pilot, lambda: all(s.id != item.id for s in screen.table.items), what="gone"
        )
        assert (
            sandbox_backend.state.db.one("SELECT 1 FROM segments WHERE id = ?", (item.id,)) is None
        )


async def test_read_only_profile_blocks_writes(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    app = make_app(profile=sandbox_profile(read_only=True))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_segments(pilot)
        item = await select_by_name(pilot, screen, "Danish speakers")
        for key in ("c", "d", "n"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, SegmentsScreen)
        assert sum("read-only" in n.message for n in app._notifications) == 3
        assert sandbox_backend.state.db.state_changes(item.id) == []  # nothing was sent
        row = sandbox_backend.state.db.one("SELECT status FROM segments WHERE id = ?", (item.id,))
        assert row is not None and row["status"] == "completed"
        # the editor opens to read, and refuses to save
        screen.action_edit()
        editor_screen = await wait_for_screen(pilot, SegmentEditorScreen)
        await wait_for_workers(pilot)
        refusal = editor_screen.refusal()
        assert refusal is not None and "read-only" in refusal[0]


async def test_a_failing_recalculation_ends_failed_with_its_reason(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_segments(pilot)
        item = await select_by_name(pilot, screen, "Corporate addresses")
        await pilot.press("c")

        def row() -> Any:
            return next(s for s in screen.table.items if s.id == item.id)

        await wait_until(
            pilot,
            lambda: any("calculation failed" in (n.title or "") for n in app._notifications),
            what="the failure",
        )
        assert str(row().status) == "failed"
        assert "regular expression" in (row().error_message or "")
        shown = str(screen.query_one("#seg-error", Static).render())
        assert shown.startswith("Calculation failed:") and "regular expression" in shown


async def test_editing_a_marketing_segment_offers_its_consent(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_segments(pilot)
        await select_by_name(pilot, screen, "Big spenders")
        await pilot.press("enter")
        editor_screen = await wait_for_screen(pilot, SegmentEditorScreen)
        await wait_until(pilot, lambda: editor_screen.context_source == "edition", what="context")
        assert not editor_screen.query_one("#row-consent").has_class("-hidden")
        consent = editor_screen.query_one("#f-consent")
        assert consent.value == "cns_newsletter"
        labels = [str(prompt) for prompt, _ in consent._options]
        assert any("cns_newsletter" in label and "(" in label for label in labels)
        assert not editor_screen.dirty
        await pilot.press("escape")  # nothing changed: closes without asking
        await wait_for_screen(pilot, SegmentsScreen)
