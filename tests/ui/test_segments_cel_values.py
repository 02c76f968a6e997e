"""The CEL editor (issue 15): impossible values are warned about, an example is joined with
`` && ``, and accepting a value inside a string closes the quote."""

from __future__ import annotations

import dataclasses

from textual.app import App, ComposeResult
from textual.widgets import Static

from preo_tui.cel.schema import Choice, DynamicValues, contract_context
from preo_tui.ui.segments.cel_editor import CelEditor, join_snippet
from tests.fixtures.app import wait_until

CTX = dataclasses.replace(
    contract_context(),
    dynamic_values=DynamicValues(
        products=(Choice("prd_camp", "Camping Spot"),),
        order_statuses=("pending", "completed", "cancelled"),
        languages=("en", "da", "se"),
        consents=(Choice("cns_newsletter", "Newsletter"),),
    ),
)


class Host(App[None]):
    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.initial = text

    def compose(self) -> ComposeResult:
        yield CelEditor(self.initial, context=CTX, id="ed")


def problems(app: App[None]) -> str:
    return str(app.query_one("#cel-problems", Static).render())


async def test_an_impossible_value_is_a_warning_under_a_valid_verdict() -> None:
    app = Host()
    async with app.run_test(size=(100, 20)) as pilot:
        editor = app.query_one(CelEditor)
        editor.focus_input()
        await pilot.press(*'user.language == "sv"')
        await wait_until(pilot, lambda: "⚠" in problems(app), what="the warning")
        assert "no user has language 'sv' (did you mean 'se'?)" in problems(app)
        assert editor.result.ok  # valid CEL: it may still be saved


async def test_accepting_a_value_closes_the_quote() -> None:
    app = Host()
    async with app.run_test(size=(100, 20)) as pilot:
        editor = app.query_one(CelEditor)
        editor.focus_input()
        await pilot.press(*'user.language == "d')
        await wait_until(pilot, lambda: editor.menu.is_open, what="the menu")
        await pilot.press("tab")
        assert editor.text == 'user.language == "da"'
        assert editor.result.ok


async def test_an_example_is_joined_with_and() -> None:
    app = Host("user.consents.size() > 0")
    async with app.run_test(size=(100, 20)) as pilot:
        editor = app.query_one(CelEditor)
        editor.focus_input()
        editor.area.move_cursor(editor.area.document.end)
        editor.insert_text('user.language == "da"')
        await pilot.pause()
        assert editor.text == 'user.consents.size() > 0 && user.language == "da"'
        assert editor.result.ok


def test_join_snippet() -> None:
    assert join_snippet("a", "b", "") == " && b"
    assert join_snippet("a && ", "b", "") == "b"
    assert join_snippet("(", "b", ")") == "b"
    assert join_snippet("", "b", "c") == "b && "
