"""Pilot helpers shared by the feature screens' tests (refunds, segments, campaigns, emails,
editions, users, orders)."""

from __future__ import annotations

import io
from typing import Any, TypeVar

import pytest
from rich.console import Console

from preo_tui.ui.refunds.screen import RefundsScreen
from tests.fixtures.app import wait_for_home, wait_for_screen, wait_for_workers, wait_until

S = TypeVar("S")


async def open_list_screen(pilot: Any, name: str, screen_type: type[S], *, what: str) -> S:
    """From the home screen, jump to the list screen ``name`` and wait until its first rows
    are shown (callers wait for their own lookups and workers afterwards)."""
    await wait_for_home(pilot)
    pilot.app.jump(name)
    screen: Any = await wait_for_screen(pilot, screen_type)
    await wait_until(
        pilot,
        lambda: screen.table.total is not None and screen.table.row_count > 0,
        what=what,
    )
    found: S = screen
    return found


async def open_first_page(pilot: Any, name: str, screen_type: type[S], *, what: str) -> S:
    """From the home screen, jump to the list screen ``name``, wait until its first page has
    arrived (possibly empty) and for the workers it started."""
    await wait_for_home(pilot)
    assert pilot.app.jump(name)
    screen: Any = await wait_for_screen(pilot, screen_type)
    await wait_until(pilot, lambda: screen.table.total is not None, what=what)
    await wait_for_workers(pilot)
    found: S = screen
    return found


async def discard_form(pilot: Any) -> None:
    """``escape`` out of a form whose fields may have been changed: when it asks, ``y``
    discards."""
    from preo_tui.ui.widgets.confirm import ConfirmModal

    form = pilot.app.screen
    await pilot.press("escape")
    await wait_until(
        pilot,
        lambda: isinstance(pilot.app.screen, ConfirmModal) or form not in pilot.app.screen_stack,
        what="the form to close or ask",
    )
    if isinstance(pilot.app.screen, ConfirmModal):
        await pilot.press("y")


def plain(widget: Any) -> str:
    """The text a Static shows (rich renderables rendered without styles)."""
    content = widget.content
    if isinstance(content, str):
        return content
    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(content)
    return console.export_text()


def requests_sent(app: Any) -> int:
    """Requests the app's API client has sent so far."""
    return int(app.ctx.client.requests_sent)


async def select_by_name(pilot: Any, screen: Any, name: str) -> Any:
    """Put the list's cursor on the row whose ``name`` is ``name`` and wait for its detail."""
    item = next(i for i in screen.table.items if i.name == name)
    assert screen.table.move_to_id(item.id)
    await wait_until(
        pilot, lambda: screen.current is not None and screen.current.id == item.id, what=name
    )
    return item


def quick_refund_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Poll quickly while approved requests move (the sandbox runs at 1000x speed)."""
    monkeypatch.setattr(RefundsScreen, "LIVE_INTERVAL", 0.2)
    monkeypatch.setattr(RefundsScreen, "DETAIL_DELAY", 0.01)


async def open_refunds(pilot: Any, *, detail: bool = True) -> RefundsScreen:
    """Jump to the refund queue and wait for its first page (and, with ``detail``, for the
    current request's detail when there is one)."""
    await wait_for_home(pilot)
    assert pilot.app.jump("refunds")
    screen: RefundsScreen = await wait_for_screen(pilot, RefundsScreen)
    await wait_until(pilot, lambda: screen.table.total is not None, what="the first page")
    await wait_for_workers(pilot)
    if detail:
        await wait_until(
            pilot, lambda: screen.table.current_item is None or screen.details, what="detail"
        )
        await wait_for_workers(pilot)
    return screen
