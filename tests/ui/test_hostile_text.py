"""Issue 14, item 1: server text never reaches the terminal as control sequences.

A customer types their own first name and a refund comment; an OSC 52 clipboard write or a
``CSI 2 J`` there must be shown as visible escapes, never written raw. Two checks:

- the issue's repro: hostile names/comments in the sandbox, ``:users`` and a refund's detail
  pane exported as the terminal would draw them, scanned for control characters;
- every list screen: a real row's model re-decoded with every text field hostile (the way the
  client decodes a server answer), pushed through the screen's ``row_cells`` and its detail
  pane, the output scanned.
"""

from __future__ import annotations

import io
import re
from enum import Enum
from typing import Any

from rich.console import Console

from preo_tui.ui.base import ListDetailScreen
from preo_tui.ui.registry import REGISTRY
from preo_tui.ui.users.screen import UsersScreen
from tests.fixtures.app import AppFactory, SandboxBackend, wait_for_workers
from tests.ui.helpers import open_first_page, open_refunds

SIZE = (160, 48)

OSC52 = "\x1b]52;c;aGFja2Vk\x07"
CLEAR = "\x1b[2J\x1b[H"
HOSTILE = [
    OSC52 + "Eve",
    "Bob" + CLEAR,
    "\x1b]0;pwned title\x07x",
    "\u202eevil\u202c",
    "a\x9b31mb\x00c\x7f",
    "line1\r\nline2\tend\x08",
    "[/]",  # Rich/Textual markup: must neither crash nor style
    "[@click=app.quit]x[/]",
]
#: What must never reach the terminal: C0 controls (newline aside), DEL, C1, bidi overrides.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def scan(text: str, where: str) -> None:
    found = UNSAFE.search(text)
    assert found is None, (
        f"{where}: raw {found.group()!r} near {text[max(found.start() - 30, 0) : found.end() + 30]!r}"
    )


def rendered(*renderables: Any) -> str:
    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    for r in renderables:
        console.print(r)
    return console.export_text()


def hostile_payload(value: Any, n: list[int]) -> Any:
    """A model dump with every free-text string replaced by a hostile one (ids, enum values
    and timestamps kept so the model still decodes)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(v, str) and not isinstance(v, Enum) and not _structural(k):
                n[0] += 1
                out[k] = HOSTILE[n[0] % len(HOSTILE)] + v
            else:
                out[k] = hostile_payload(v, n)
        out["x_hostile_extra"] = OSC52
        return out
    if isinstance(value, list):
        return [hostile_payload(v, n) for v in value]
    return value


def _structural(key: str) -> bool:
    return (
        key == "id"
        or key.endswith("_id")
        or key.endswith("url")
        or key
        in (
            "currency",
            "timezone",
            "language",
            "status",
            "channel",
            "type",
            "next",
            "previous",
        )
    )


async def test_item_1_server_text_never_reaches_the_terminal_raw(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    db = sandbox_backend.state.db
    with db.transaction():
        db.execute("UPDATE users SET first_name = ?, last_name = ?", (OSC52 + "Eve", "[/]"))
        db.execute("UPDATE refund_requests SET comment = ?", ("Refund" + CLEAR + " please",))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        users = await open_first_page(pilot, "users", UsersScreen, what="customers")
        assert users.table.row_count > 0
        await wait_for_workers(pilot)
        shot = app.export_screenshot()
        assert "␛]52;c;aGFja2Vk␇Eve" in shot
        assert "Eve&#160;[/]" in shot or "Eve [/]" in shot  # markup shown as text, no crash
        scan(shot, ":users")
        app.pop_screen()
        refunds = await open_refunds(pilot)
        assert refunds.table.current_item is not None
        shot = app.export_screenshot()
        assert "Refund␛[2J␛[H" in shot
        scan(shot, ":refunds detail")


async def test_item_1_every_list_screen_row_and_detail_with_hostile_fields(
    make_app: AppFactory,
) -> None:
    app = make_app()
    checked: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        for entry in REGISTRY:
            if not issubclass(entry.screen_class, ListDetailScreen):
                continue
            screen: Any = await open_first_page(
                pilot, entry.name, entry.screen_class, what=entry.name
            )
            if not screen.table.items:
                continue
            real = screen.table.items[0]
            n = [0]
            payload = hostile_payload(real.model_dump(mode="python", by_alias=True), n)
            item = type(real).model_validate(payload)
            assert n[0] > 0, entry.name
            scan(rendered(*screen.row_cells(item)), f":{entry.name} row")
            screen.show_detail(item)
            await pilot.pause()
            scan(app.export_screenshot(), f":{entry.name} detail")
            checked.append(entry.name)
            app.pop_screen()
            await wait_for_workers(pilot)
    assert {"users", "refunds", "orders", "campaigns", "segments"} <= set(checked)
