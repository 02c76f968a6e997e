"""The CEL editor widget on its own: debouncing, stale answers, an unreachable server, server
diagnostics, highlighting and the parsing of a 400's positions (no sandbox needed)."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.app import App, ComposeResult

from preo_tui.api.errors import NetworkError
from preo_tui.cel import Diagnostic
from preo_tui.ui.segments.cel_editor import (
    DIAGNOSTIC_STYLE,
    TOKEN_STYLES,
    CelEditor,
    ServerVerdict,
    _token_marks,
    estimate_text,
    highlight_cel,
    parse_server_condition_errors,
)
from tests.fixtures.app import wait_until


class FakeServer:
    """A validator whose answers the test releases one by one."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.cancelled: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}
        self.answers: dict[str, ServerVerdict | Exception] = {}

    async def __call__(self, text: str) -> ServerVerdict:
        self.calls.append(text)
        gate = self.gates.setdefault(text, asyncio.Event())
        try:
            await gate.wait()
        except asyncio.CancelledError:
            self.cancelled.append(text)
            raise
        answer = self.answers.get(text, ServerVerdict(True, 1, 10))
        if isinstance(answer, Exception):
            raise answer
        return answer

    def release(self, text: str) -> None:
        self.gates.setdefault(text, asyncio.Event()).set()


class Host(App[None]):
    def __init__(self, server: Any, text: str = "", *, debounce: float = 0.05) -> None:
        super().__init__()
        self.server = server
        self.initial = text
        self.debounce = debounce

    def compose(self) -> ComposeResult:
        editor = CelEditor(self.initial, validator=self.server, id="ed")
        editor.DEBOUNCE = self.debounce
        yield editor


async def test_typing_is_debounced_and_a_stale_answer_is_never_shown() -> None:
    server = FakeServer()
    # the real debounce: keys come far faster than 300 ms apart, so only the final text is sent
    app = Host(server, debounce=CelEditor.DEBOUNCE)
    async with app.run_test(size=(80, 20)) as pilot:
        editor = app.query_one(CelEditor)
        editor.focus_input()
        await pilot.press(*"size(orders) > 1")
        await wait_until(pilot, lambda: server.calls == ["size(orders) > 1"], what="one call")
        assert editor.server_state == "waiting"
        # the operator types on while the server is still thinking about the old text
        await pilot.press("0")
        assert server.cancelled == ["size(orders) > 1"]
        server.answers["size(orders) > 1"] = ServerVerdict(True, 999, 1000)
        server.release("size(orders) > 1")
        server.answers["size(orders) > 10"] = ServerVerdict(True, 5, 1000)
        await wait_until(pilot, lambda: "size(orders) > 10" in server.calls, what="second call")
        server.release("size(orders) > 10")
        await wait_until(pilot, lambda: editor.server_state == "ok", what="the verdict")
        assert editor.verdict == ServerVerdict(True, 5, 1000)
        assert "≈ 5 of 1,000 users" in str(editor.query_one("#cel-verdict").render())
        assert "999" not in str(editor.query_one("#cel-verdict").render())


async def test_an_answer_for_changed_text_is_dropped_even_if_it_arrives() -> None:
    server = FakeServer()
    app = Host(server, "size(orders) > 1")
    async with app.run_test(size=(80, 20)) as pilot:
        editor = app.query_one(CelEditor)
        await wait_until(pilot, lambda: server.calls, what="a call")
        generation = editor._generation
        # an answer computed for another text than the one on screen
        server.release("size(orders) > 1")
        await wait_until(pilot, lambda: editor.server_state == "ok", what="the first verdict")
        editor.server_state = "waiting"
        server.release("size(orders) > 2")
        await editor._validate(generation, "size(orders) > 2")
        assert editor.server_state == "waiting"


async def test_unreachable_server_keeps_the_local_verdict() -> None:
    server = FakeServer()
    server.answers["size(orders) > 1"] = NetworkError("connection refused")
    server.release("size(orders) > 1")
    app = Host(server, "size(orders) > 1")
    async with app.run_test(size=(80, 20)) as pilot:
        editor = app.query_one(CelEditor)
        await wait_until(pilot, lambda: editor.server_state == "unreachable", what="unreachable")
        assert editor.result.ok
        text = str(editor.query_one("#cel-verdict").render())
        assert "valid locally" in text and "no audience estimate" in text
        assert not app._notifications  # no toast per keystroke


async def test_server_diagnostics_are_underlined_when_the_server_disagrees() -> None:
    server = FakeServer()
    bad = Diagnostic(1, 1, 5, "the server says no", "server")
    server.answers["size(orders) > 1"] = ServerVerdict(False, errors=(bad,))
    server.release("size(orders) > 1")
    app = Host(server, "size(orders) > 1")
    async with app.run_test(size=(80, 20)) as pilot:
        editor = app.query_one(CelEditor)
        await wait_until(pilot, lambda: editor.server_state == "invalid", what="server verdict")
        assert editor.diagnostics == (bad,)
        line = editor.area.get_line(0)
        assert "server: the server says no" in line.plain
        assert "line 1, column 1: server: the server says no" in str(
            editor.query_one("#cel-problems").render()
        )


async def test_local_error_is_underlined_and_cleared_when_fixed() -> None:
    app = Host(None, 'user.agee == "da"')
    async with app.run_test(size=(80, 20)) as pilot:
        editor = app.query_one(CelEditor)
        editor.focus_input()
        spans = [s for s in editor.area.get_line(0).spans if s.style == DIAGNOSTIC_STYLE]
        assert [(s.start, s.end) for s in spans] == [(5, 9)]
        editor.area.move_cursor((0, 9))
        await pilot.press("backspace", "backspace", "backspace", "backspace", *"language")
        await wait_until(pilot, lambda: editor.result.ok, what="a valid text")
        assert not [s for s in editor.area.get_line(0).spans if s.style == DIAGNOSTIC_STYLE]
        assert "◀" not in editor.area.get_line(0).plain
        assert editor.server_state == "idle"


def test_highlighting_styles_each_kind() -> None:
    text = highlight_cel('orders.exists(o, o.amount >= 500.0) && "x" in user.consents')
    styles = {text.plain[s.start : s.end]: s.style for s in text.spans}
    assert styles["orders"] == TOKEN_STYLES["variable"]
    assert styles["exists"] == TOKEN_STYLES["macro"]
    assert styles["amount"] == TOKEN_STYLES["field"]
    assert styles["500.0"] == TOKEN_STYLES["number"]
    assert styles['"x"'] == TOKEN_STYLES["string"]
    assert styles["&&"] == TOKEN_STYLES["operator"]
    assert styles["in"] == TOKEN_STYLES["keyword"]


def test_server_condition_messages_become_positions() -> None:
    text = 'user.language == "da" &&\n  size(orders) > vip'
    diags = parse_server_condition_errors(
        text,
        ["line 2, column 18: undeclared reference to 'vip'; line 1, column 6: another one"],
    )
    assert [(d.line, d.column, d.end_column) for d in diags] == [(2, 18, 21), (1, 6, 14)]
    assert diags[0].message == "undeclared reference to 'vip'"
    (plain,) = parse_server_condition_errors(text, ["This field is required."])
    assert (plain.line, plain.column, plain.message) == (1, 1, "This field is required.")


def test_estimate_wording() -> None:
    assert estimate_text(ServerVerdict(True, 1234, 5000)) == "≈ 1,234 of 5,000 users"
    assert estimate_text(ServerVerdict(True, 12)) == "≈ 12 users"
    assert estimate_text(ServerVerdict(True, None)) == "no estimate from the server"


async def test_a_huge_paste_gets_a_clear_message() -> None:
    app = Host(None)
    async with app.run_test(size=(80, 20)) as pilot:
        editor = app.query_one(CelEditor)
        editor.focus_input()
        huge = "user.language == " + "(" * 50_000 + '"da"'
        app.copy_to_clipboard(huge)
        await pilot.press("ctrl+v")
        await wait_until(pilot, lambda: editor.text == huge, what="the paste")
        assert editor.diagnostics[0].code == "too_long"
        assert "too long" in str(editor.query_one("#cel-problems").render()).lower()
        assert not editor.menu.is_open


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_display_helpers_never_raise_on_any_text(text: str) -> None:
    marked = _token_marks(text, ("user", "orders"))
    lines = text.split("\n")
    for line, spans in marked.spans.items():
        assert 0 <= line < len(lines)
        for start, end, _ in spans:
            assert 0 <= start < end <= len(lines[line])
    assert len(highlight_cel(text).plain) == len(text)  # spans keep their offsets
    for diag in parse_server_condition_errors(text, [text, f"line 3, column 9: {text}"]):
        assert diag.line >= 1 and diag.column >= 1 and diag.end_column > diag.column


async def test_a_refused_server_check_is_not_called_unreachable() -> None:
    from preo_tui.api.errors import Unsupported, ValidationFailed

    for error, wording in (
        (
            ValidationFailed("Unknown edition.", fields={"edition_id": ["Unknown edition."]}),
            "failed",
        ),
        (Unsupported("no such endpoint"), "cannot check"),
    ):
        server = FakeServer()
        server.answers["size(orders) > 1"] = error
        server.release("size(orders) > 1")
        app = Host(server, "size(orders) > 1")
        async with app.run_test(size=(100, 20)) as pilot:
            editor = app.query_one(CelEditor)
            await wait_until(pilot, lambda e=editor: e.server_state == "unreachable", what="fail")
            text = str(editor.query_one("#cel-verdict").render())
            assert wording in text and "unreachable" not in text
