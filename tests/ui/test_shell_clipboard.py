"""Copy to clipboard: OSC 52 (wrapped for tmux and screen), and the text shown when the terminal
cannot take it."""

from __future__ import annotations

import base64

from textual.widgets import TextArea

from preo_tui.config import default_settings
from preo_tui.ui.clipboard import MAX_OSC52_BYTES, ClipboardModal, osc52_sequence
from tests.fixtures.app import AppFactory, wait_for_home, wait_for_screen


def test_plain_osc52() -> None:
    payload = base64.b64encode(b"/tmp/export.csv").decode()
    assert osc52_sequence("/tmp/export.csv", env={}) == f"\x1b]52;c;{payload}\x07"


def test_tmux_passthrough_doubles_escapes() -> None:
    seq = osc52_sequence("x", env={"TMUX": "/tmp/tmux-0/default,1,0"})
    assert seq is not None
    assert seq.startswith("\x1bPtmux;\x1b\x1b]52;c;")
    assert seq.endswith("\x07\x1b\\")


def test_screen_chunks() -> None:
    seq = osc52_sequence("y" * 300, env={"STY": "1.pts-0"})
    assert seq is not None
    assert seq.count("\x1bP") == seq.count("\x1b\\") > 1


def test_too_long_for_the_terminal() -> None:
    assert osc52_sequence("z" * MAX_OSC52_BYTES, env={}) is None


async def test_copy_falls_back_to_showing_the_text(make_app: AppFactory) -> None:
    settings = default_settings()
    settings = settings.model_copy(
        update={"app": settings.app.model_copy(update={"clipboard": "show"})}
    )
    app = make_app(settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
        app.copy_text("/home/op/orders.csv", what="path")
        modal = await wait_for_screen(pilot, ClipboardModal)
        assert modal.query_one(TextArea).text == "/home/op/orders.csv"
        await pilot.press("escape")
        assert not isinstance(app.screen, ClipboardModal)


async def test_copy_through_the_terminal(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
        written: list[str] = []
        driver = app._driver
        assert driver is not None
        original = driver.write
        driver.write = lambda data: (written.append(data), original(data))[1]
        app.copy_text("rfr_123", what="id")
        await pilot.pause()
        assert any(w.startswith("\x1b]52;c;") for w in written)
        assert app.last_copied == "rfr_123"
        assert any("Copied id" in n.message for n in app._notifications)
