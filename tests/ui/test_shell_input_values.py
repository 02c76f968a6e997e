"""Every input shows its value, focused or not: a walk through the screens and dialogs that
focuses each text box, select and text area in turn and checks that it has a text row and
that the value is drawn (no empty tall-border boxes), at 80x24 and 160x48."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Input, Select, TextArea
from textual.widgets._select import SelectCurrent

from preo_tui.ui.campaigns.compose import CampaignComposeScreen
from preo_tui.ui.consents.form import ConsentFormModal
from preo_tui.ui.editions.form import EditionFormModal
from preo_tui.ui.emails.create import EmailCreateModal
from preo_tui.ui.files.forms import FileUploadModal
from preo_tui.ui.imports.wizard import ImportWizardScreen
from preo_tui.ui.orders.export import ExportPathModal
from preo_tui.ui.orders.filters import OrderFilterModal
from preo_tui.ui.orders.screen import OrdersScreen
from preo_tui.ui.refunds.decide import DecisionModal
from preo_tui.ui.refunds.filters import RefundFilterModal
from preo_tui.ui.refunds.screen import RefundsScreen
from preo_tui.ui.segments.editor import SegmentEditorScreen
from preo_tui.ui.shell.jump import JumpPrompt
from preo_tui.ui.users.form import UserFormModal
from preo_tui.ui.users.screen import UsersScreen
from preo_tui.ui.webhooks.form import WebhookFormModal
from tests.fixtures.app import SIZES, AppFactory, wait_for_home, wait_for_screen, wait_until

PROBE = "Zq7"


def drawn(widget: Widget) -> str:
    """The text the widget draws (border rows included)."""
    width, height = widget.outer_size  # the whole box: a bordered input draws its value row inside
    lines = widget.render_lines(Region(0, 0, width, height))
    return "\n".join(strip.text for strip in lines)


def shown(widget: Widget) -> bool:
    node: Any = widget
    while node is not None and isinstance(node, Widget):
        if not node.display:
            return False
        node = node.parent
    return True


async def check_values(pilot: Any, screen: Any) -> int:
    """Focus every input of ``screen``; each must keep a text row and draw its value."""
    checked = 0
    for widget in list(screen.query("Input, Select, TextArea")):
        if not isinstance(widget, (Input, Select, TextArea)) or not shown(widget):
            continue
        if widget.disabled:
            continue
        if isinstance(widget, Input) and not widget.value:
            widget.value = PROBE
        widget.focus()
        await pilot.pause()
        name = f"{type(screen).__name__} #{widget.id}"
        if isinstance(widget, Input):
            assert widget.content_region.height >= 1, f"{name}: no text row"
            assert widget.value[:3] in drawn(widget), f"{name}: value {widget.value!r} not drawn"
        elif isinstance(widget, Select):
            current = widget.query_one(SelectCurrent)
            label = current.query_one("#label", Widget)
            assert current.content_region.height >= 1, f"{name}: no text row"
            assert label.size.height >= 1, f"{name}: the value's row is squeezed out"
            assert drawn(label).strip(), f"{name}: nothing drawn"
        else:
            assert widget.content_region.height >= 1, f"{name}: no text row"
        checked += 1
    return checked


async def press_for(pilot: Any, keys: list[str], screen_type: type) -> Any:
    await pilot.press(*keys)
    return await wait_for_screen(pilot, screen_type)


async def back_to(pilot: Any, screen: Any) -> None:
    app = pilot.app
    while app.screen is not screen:
        app.pop_screen()
        await pilot.pause()


Opener = Callable[[Any], Awaitable[Any]]


async def walk(pilot: Any) -> dict[str, int]:
    app = pilot.app
    counts: dict[str, int] = {}
    home = await wait_for_home(pilot)
    prompt = await press_for(pilot, ["colon"], JumpPrompt)
    counts["jump"] = await check_values(pilot, prompt)
    await back_to(pilot, home)

    app.jump("orders")
    orders = await wait_for_screen(pilot, OrdersScreen)
    await wait_until(pilot, lambda: orders.table.total is not None, what="orders")
    await pilot.press("slash")
    counts["orders filter"] = await check_values(pilot, orders)
    await pilot.press("escape")
    counts["order filters"] = await check_values(
        pilot, await press_for(pilot, ["f"], OrderFilterModal)
    )
    await back_to(pilot, orders)

    app.jump("users")
    users = await wait_for_screen(pilot, UsersScreen)
    await wait_until(pilot, lambda: users.table.current_item is not None, what="a user")
    counts["user form"] = await check_values(
        pilot, await press_for(pilot, ["enter"], UserFormModal)
    )
    await back_to(pilot, users)

    app.jump("editions")
    editions = await wait_for_screen(pilot, app.screen.__class__)
    await wait_until(pilot, lambda: editions.table.total is not None, what="editions")
    form = await press_for(pilot, ["n"], EditionFormModal)
    await wait_until(pilot, lambda: not any(w.is_running for w in app.workers), what="lookups")
    counts["edition form"] = await check_values(pilot, form)
    await back_to(pilot, editions)

    app.jump("refunds")
    refunds = await wait_for_screen(pilot, RefundsScreen)
    await wait_until(pilot, lambda: refunds.table.current_item is not None, what="a request")
    counts["refund filters"] = await check_values(
        pilot, await press_for(pilot, ["f"], RefundFilterModal)
    )
    await back_to(pilot, refunds)
    counts["approve"] = await check_values(pilot, await press_for(pilot, ["a"], DecisionModal))
    await back_to(pilot, refunds)

    app.jump("campaigns")
    await wait_until(pilot, lambda: type(app.screen).__name__ == "CampaignsScreen", what="list")
    campaigns = app.screen
    compose = await press_for(pilot, ["n"], CampaignComposeScreen)
    await wait_until(pilot, lambda: compose.loaded, what="segments and messages")
    compose.query_one("#f-channel", Select).value = "sms"
    await pilot.pause()
    counts["campaign form"] = await check_values(pilot, compose)
    await back_to(pilot, campaigns)

    app.jump("segments")
    await wait_until(pilot, lambda: type(app.screen).__name__ == "SegmentsScreen", what="list")
    segments = app.screen
    await wait_until(pilot, lambda: segments.table.total is not None, what="segments")
    editor = await press_for(pilot, ["n"], SegmentEditorScreen)
    await wait_until(pilot, lambda: editor.context_source == "edition", what="CEL context")
    counts["segment editor"] = await check_values(pilot, editor)
    await back_to(pilot, segments)
    return counts


async def open_list(pilot: Any, name: str, screen_name: str) -> Any:
    app = pilot.app
    app.jump(name)
    await wait_until(pilot, lambda: type(app.screen).__name__ == screen_name, what=screen_name)
    screen = app.screen
    await wait_until(pilot, lambda: screen.table.total is not None, what=f"{name} list")
    return screen


async def walk_more(pilot: Any) -> dict[str, int]:
    """The dialogs of the second wave: export path, webhook, consent, email, upload, wizard."""
    counts: dict[str, int] = {}
    await wait_for_home(pilot)
    orders = await open_list(pilot, "orders", "OrdersScreen")
    counts["export path"] = await check_values(
        pilot, await press_for(pilot, ["x"], ExportPathModal)
    )
    await back_to(pilot, orders)
    for name, screen_name, key, modal in (
        ("webhooks", "WebhooksScreen", "n", WebhookFormModal),
        ("consents", "ConsentsScreen", "n", ConsentFormModal),
        ("emails", "EmailsScreen", "n", EmailCreateModal),
        ("files", "FilesScreen", "u", FileUploadModal),
    ):
        screen = await open_list(pilot, name, screen_name)
        counts[name] = await check_values(pilot, await press_for(pilot, [key], modal))
        await back_to(pilot, screen)
    imports = await open_list(pilot, "imports", "ImportsScreen")
    counts["import wizard"] = await check_values(
        pilot, await press_for(pilot, ["n"], ImportWizardScreen)
    )
    await back_to(pilot, imports)
    return counts


@pytest.mark.parametrize("size", list(SIZES))
async def test_every_dialog_of_the_second_wave_shows_its_values(
    make_app: AppFactory, size: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZES[size]) as pilot:
        counts = await walk_more(pilot)
    empty = [name for name, count in counts.items() if count == 0]
    assert not empty, f"no input checked on {empty}"


@pytest.mark.parametrize("size", list(SIZES))
async def test_every_input_shows_its_value(make_app: AppFactory, size: str) -> None:
    app = make_app()
    async with app.run_test(size=SIZES[size]) as pilot:
        counts = await walk(pilot)
    empty = [name for name, count in counts.items() if count == 0]
    assert not empty, f"no input checked on {empty}"
