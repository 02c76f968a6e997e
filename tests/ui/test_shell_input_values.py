"""Every input shows its value, focused or not: a walk through the screens and dialogs that
focuses each text box, select and text area in turn and checks that it has a text row and
that the value is drawn (no empty tall-border boxes), at 80x24 and 160x48."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable, Input, Select, TextArea
from textual.widgets._select import SelectCurrent

from preo_tui.ui.campaigns.compose import CampaignComposeScreen
from preo_tui.ui.campaigns.schedule import ScheduleModal
from preo_tui.ui.consents.form import ConsentFormModal
from preo_tui.ui.editions.form import EditionFormModal
from preo_tui.ui.emails.create import EmailCreateModal
from preo_tui.ui.emails.editor import BlockModal, EmailEditorScreen
from preo_tui.ui.emails.preview import EmailPreviewScreen
from preo_tui.ui.emails.user_picker import UserSearchModal
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
from preo_tui.ui.shell.signin import SignInScreen
from preo_tui.ui.users.form import UserFormModal
from preo_tui.ui.users.screen import UsersScreen
from preo_tui.ui.webhooks.form import WebhookFormModal
from tests.fixtures.app import (
    SIZES,
    AppFactory,
    wait_for_home,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)

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
            # A password box draws one bullet per character, never the characters.
            expected = "•" * len(widget.value[:3]) if widget.password else widget.value[:3]
            assert expected in drawn(widget), f"{name}: value {widget.value!r} not drawn"
            if widget.password:
                assert widget.value not in drawn(widget), f"{name}: a password drawn in clear"
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


async def pick_row(pilot: Any, screen: Any, label: str, field: str) -> None:
    """Put the list's cursor on the first row whose ``field`` is ``label`` (this edition's
    first) and wait until the screen shows it."""
    edition = pilot.app.ctx.edition.id
    matches = [i for i in screen.table.items if getattr(i, field) == label]
    item = next((i for i in matches if getattr(i, "edition_id", None) == edition), matches[0])
    assert screen.table.move_to_id(item.id)
    await wait_until(
        pilot, lambda: screen.current is not None and screen.current.id == item.id, what=label
    )
    await wait_for_workers(pilot)


async def walk_third(pilot: Any) -> dict[str, int]:
    """The dialogs of the third wave: the user search (email preview), an email block, the
    campaign schedule."""
    counts: dict[str, int] = {}
    await wait_for_home(pilot)
    emails = await open_list(pilot, "emails", "EmailsScreen")
    await wait_for_workers(pilot)
    await pick_row(pilot, emails, "Line-up announcement", "title")
    preview = await press_for(pilot, ["p"], EmailPreviewScreen)
    await wait_until(pilot, lambda: preview.preview is not None, what="the preview")
    picker = await press_for(pilot, ["u"], UserSearchModal)
    await wait_until(pilot, lambda: bool(picker.users), what="customers")
    counts["user search"] = await check_values(pilot, picker)
    await back_to(pilot, emails)

    editor = await press_for(pilot, ["enter"], EmailEditorScreen)
    await wait_until(pilot, lambda: editor.loaded, what="the editor loaded")
    blocks = editor.query_one("#blocks", DataTable)
    blocks.focus()
    blocks.move_cursor(row=1)
    await pilot.pause()
    counts["email block"] = await check_values(pilot, await press_for(pilot, ["enter"], BlockModal))
    await back_to(pilot, editor)

    campaigns = await open_list(pilot, "campaigns", "CampaignsScreen")
    await wait_until(pilot, lambda: bool(campaigns.segments), what="segments")
    await wait_for_workers(pilot)
    await pick_row(pilot, campaigns, "Early-bird for next year", "name")
    counts["campaign schedule"] = await check_values(
        pilot, await press_for(pilot, ["t"], ScheduleModal)
    )
    await back_to(pilot, campaigns)
    return counts


@pytest.mark.parametrize("size", list(SIZES))
async def test_every_dialog_of_the_third_wave_shows_its_values(
    make_app: AppFactory, size: str
) -> None:
    app = make_app()
    async with app.run_test(size=SIZES[size]) as pilot:
        counts = await walk_third(pilot)
    empty = [name for name, count in counts.items() if count == 0]
    assert not empty, f"no input checked on {empty}"


@pytest.mark.parametrize("size", list(SIZES))
async def test_the_sign_in_screen_shows_its_values(make_app: AppFactory, size: str) -> None:
    app = make_app(role=None)  # not signed in: the app starts on the sign-in screen
    async with app.run_test(size=SIZES[size]) as pilot:
        screen = await wait_for_screen(pilot, SignInScreen)
        await wait_for_workers(pilot)
        assert await check_values(pilot, screen) >= 2  # e-mail and password


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
