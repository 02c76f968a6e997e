"""Navigation: the ``:`` jump to every registered screen, escape back, ``/`` filtering on a list
screen, ``?`` help from the bindings, the palette, keymap remapping, themes, edition and
profile switching, the size guard and quitting."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import pytest
from textual.widgets import Input, Static

from preo_tui.config import load_settings
from preo_tui.ui.base import ListDetailScreen
from preo_tui.ui.home.screen import HomeScreen
from preo_tui.ui.registry import REGISTRY, load_feature_screens, register_screen
from preo_tui.ui.shell.help import HelpScreen, binding_rows
from preo_tui.ui.shell.jump import JumpPrompt
from preo_tui.ui.shell.signin import SignInScreen
from preo_tui.ui.shell.toosmall import TooSmallScreen
from preo_tui.ui.widgets.choice import ChoiceModal
from preo_tui.ui.widgets.paged_table import ColumnSpec, PageRequest
from tests.fixtures.app import (
    AppFactory,
    Dirs,
    sandbox_profile,
    wait_for_home,
    wait_for_screen,
    wait_for_workers,
    wait_until,
)

load_feature_screens()
REGISTERED = [name for name in REGISTRY.names() if name != "home"]


class OrdersProbe(ListDetailScreen[Any]):
    """A list screen over the sandbox's orders, used to test the base class."""

    SCREEN_TITLE = "Orders probe"
    COLUMNS: ClassVar[Sequence[ColumnSpec]] = [
        ColumnSpec("number", "Order", 12, ordering="order_number"),
        ColumnSpec("status", "Status", 10, ordering="status"),
        ColumnSpec("amount", "Amount", 10, ordering="amount", justify="right"),
    ]
    DEFAULT_ORDERING = "order_number"
    PAGE_SIZE = 25

    async def load_page(self, request: PageRequest) -> Any:
        client = self.ctx.client
        edition = self.ctx.edition
        assert client is not None and edition is not None
        params: dict[str, Any] = {
            "edition_id": edition.id,
            "page": request.page,
            "page_size": 25,
            "ordering": request.ordering,
            "search": request.search,
        }
        query = self.data_query("orders", lambda: client.orders.list(**params), **params)
        return await self.load_data(query)

    def row_cells(self, item: Any) -> Sequence[Any]:
        return (item.order_number, str(item.status), f"{item.amount:,.2f}")

    def _page_size(self) -> int:
        return 25


@pytest.fixture
def orders_probe() -> Iterator[type[OrdersProbe]]:
    register_screen("probe", title="Orders probe")(OrdersProbe)
    yield OrdersProbe
    REGISTRY.unregister("probe")


async def jump(pilot: Any, name: str) -> None:
    await pilot.press("colon")
    await wait_for_screen(pilot, JumpPrompt)
    await pilot.press(*list(name), "enter")
    await pilot.pause()


@pytest.mark.parametrize("name", REGISTERED)
async def test_colon_jumps_to_every_registered_screen(make_app: AppFactory, name: str) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_home(pilot)
        await jump(pilot, name)
        entry = REGISTRY.resolve(name)
        assert entry is not None
        screen = await wait_for_screen(pilot, entry.screen_class)
        await wait_for_workers(pilot)
        assert not [n for n in app._notifications if n.severity == "error"]
        # "?" lists this screen's own bindings, each with its id.
        own = {
            b.id
            for cls in type(screen).__mro__
            for b in cls.__dict__.get("BINDINGS", [])
            if getattr(b, "id", None)
        }
        app.set_focus(None)
        await pilot.pause()
        await pilot.press("question_mark")
        await wait_for_screen(pilot, HelpScreen)
        shown = {row[3] for row in binding_rows(screen)}
        assert own & shown
        await pilot.press("escape")
        await wait_for_screen(pilot, entry.screen_class)
        # The palette offers the screen's actions.
        from preo_tui.ui.commands import binding_commands

        assert binding_commands(screen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), what="back home")


async def test_jump_prompt_completes_and_lists_screens(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
        await pilot.press("colon")
        prompt = await wait_for_screen(pilot, JumpPrompt)
        await pilot.press("j", "o")
        await pilot.pause()
        box = prompt.query_one(Input)
        assert box._suggestion == "journal"
        await pilot.press("tab")
        assert box.value == "journal"
        await pilot.press("escape")
        await wait_for_screen(pilot, HomeScreen)


async def test_unknown_and_unavailable_jump_names_give_a_message(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
        assert app.jump("nonsense") is False
        await pilot.pause()
        assert any("No screen called 'nonsense'" in n.message for n in app._notifications)
        if "refunds" not in REGISTRY:
            assert app.jump("refunds") is False
            await pilot.pause()
            assert any(":refunds is not available" in n.message for n in app._notifications)
        assert isinstance(app.screen, HomeScreen)


async def test_list_screen_filter_paging_and_detail(
    make_app: AppFactory, orders_probe: type
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_home(pilot)
        await jump(pilot, "probe")
        screen = await wait_for_screen(pilot, OrdersProbe)
        table = screen.table
        await wait_until(
            pilot, lambda: table.total is not None and table.row_count > 0, what="orders"
        )
        total = table.total
        assert total is not None and total > 25
        status = str(screen.query_one("#list-status", Static).render())
        assert status.startswith(f"1–25 of {total:,}")
        # j/k move the cursor and the detail pane follows it.
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        detail = str(screen.query_one("#detail-content", Static).render())
        assert table.current_item.order_number in detail
        # "/" filters on the server.
        wanted = table.items[3].order_number
        await pilot.press("slash")
        box = screen.query_one("#list-filter", Input)
        assert box.has_focus
        await pilot.press(*list(wanted), "enter")
        await wait_until(
            pilot, lambda: table.total is not None and table.total < total, what="filtered"
        )
        assert table.current_item.order_number == wanted
        assert "filter: " + wanted in str(screen.query_one("#list-status", Static).render())
        assert table.has_focus
        # escape clears the filter first, then goes back.
        await pilot.press("escape")
        await wait_until(pilot, lambda: table.total == total, what="unfiltered")
        await pilot.press("escape")
        await wait_for_screen(pilot, HomeScreen)


async def test_list_screen_sort_picker(make_app: AppFactory, orders_probe: type) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for_home(pilot)
        app.jump("probe")
        screen = await wait_for_screen(pilot, OrdersProbe)
        table = screen.table
        await wait_until(pilot, lambda: table.row_count > 0, what="orders")
        await pilot.press("o")
        picker = await wait_for_screen(pilot, ChoiceModal)
        labels = [
            str(picker.query_one("#choice-list").get_option_at_index(i).prompt) for i in range(6)
        ]
        assert any("Amount ▼ descending" in label for label in labels)
        # choose "Amount descending" (5th option: order asc/desc, status asc/desc, amount asc, amount desc)
        await pilot.press("down", "down", "down", "down", "down", "enter")
        await wait_until(pilot, lambda: table.ordering == "-amount", what="ordering")
        await wait_for_workers(pilot)
        amounts = [item.amount for item in table.items]
        assert amounts == sorted(amounts, reverse=True)


async def test_help_overlay_lists_the_screen_bindings_with_ids(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        home = await wait_for_home(pilot)
        await pilot.press("question_mark")
        help_screen = await wait_for_screen(pilot, HelpScreen)
        rows = binding_rows(home)
        ids = {row[3] for row in rows}
        assert {"home.refunds", "home.orders", "screen.refresh", "app.jump", "app.help"} <= ids
        text = help_screen.query_one("#help-table", Static).render()
        assert text is not None
        await pilot.press("escape")
        await wait_for_screen(pilot, HomeScreen)


async def test_keymap_remap_from_config(make_app: AppFactory, isolated_dirs: Dirs) -> None:
    isolated_dirs.config_file.write_text('[keymap]\n"app.help" = "f1"\n"home.orders" = "o"\n')
    loaded = load_settings(isolated_dirs.config_file)
    assert loaded.warnings == []
    app = make_app(config=loaded)
    async with app.run_test(size=(80, 24)) as pilot:
        home = await wait_for_home(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await wait_for_screen(pilot, HelpScreen)
        keys = {row[3]: row[1] for row in binding_rows(home)}
        assert keys["app.help"] == "f1"
        assert keys["home.orders"] == "o"


async def test_broken_config_warns_and_starts_with_defaults(
    make_app: AppFactory, isolated_dirs: Dirs
) -> None:
    isolated_dirs.config_file.write_text('[app]\ntheme = "x\nrefresh_interval = 5\n')
    loaded = load_settings(isolated_dirs.config_file)
    app = make_app(config=loaded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
        messages = [n.message for n in app._notifications]
        assert any("line 2" in m and "using defaults" in m for m in messages)


async def test_palette_offers_the_screen_actions(make_app: AppFactory) -> None:
    from preo_tui.ui.commands import binding_commands

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        home = await wait_for_home(pilot)
        titles = [title for title, _, _ in binding_commands(home)]
        assert {"Refunds", "Orders", "Refresh", "Jump", "Help"} <= set(titles)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*list("journal"))
        await wait_until(
            pilot,
            lambda: (
                "journal"
                in str(
                    app.screen.query("CommandList").first().get_option_at_index(0).prompt
                ).lower()
            ),
            what="palette hit",
        )
        await pilot.press("enter")
        from preo_tui.ui.journal.screen import JournalScreen

        await wait_for_screen(pilot, JournalScreen)


async def test_edition_picker_and_colon_edition(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        home = await wait_for_home(pilot)
        editions = app.editions
        assert len(editions) >= 2
        other = next(e for e in editions if e != app.ctx.edition)
        await jump(pilot, f"edition {other.name}")
        await wait_until(pilot, lambda: app.ctx.edition == other, what="edition switch")
        await wait_until(
            pilot,
            lambda: home.summary is not None and home.summary.edition_id == other.id,
            what="reload",
        )
        header = str(home.query_one("#header-where", Static).render())
        assert other.name in header
        await pilot.press("e")
        picker = await wait_for_screen(pilot, ChoiceModal)
        assert picker.current == other
        await pilot.press("escape")
        await wait_for_screen(pilot, HomeScreen)


async def test_profile_switching(make_app: AppFactory) -> None:
    from preo_tui.config import default_settings

    settings = default_settings()
    other = sandbox_profile(
        name="second", sandbox=False, builtin=False, server="http://127.0.0.1:9000"
    )
    settings = settings.model_copy(update={"profiles": {**settings.profiles, "second": other}})
    app = make_app(settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
        assert app.profile.name == "sandbox"
        await jump(pilot, "profile second")
        screen = await wait_for_screen(pilot, SignInScreen)
        assert app.profile.name == "second"
        assert "second · http://127.0.0.1:9000" in str(
            screen.query_one("#signin-server", Static).render()
        )
        screen.query_one("#email", Input).value = "staff@sandbox.preo.dev"
        screen.query_one("#password", Input).value = "sandbox"
        await pilot.press("enter")  # submits from the focused email box -> password
        await pilot.press("enter")
        await wait_for_home(pilot)
        assert app.ctx.role == "staff"
        assert app.ctx.profile_name == "second"


async def test_terminal_too_small_then_restored(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        home = await wait_for_home(pilot)
        await pilot.resize_terminal(40, 10)
        screen = await wait_for_screen(pilot, TooSmallScreen)
        assert "Terminal too small (40×10)" in str(screen.query_one("#too-small", Static).render())
        # The environment stays marked while the header cannot be drawn.
        assert str(screen.query_one("#too-small-badge", Static).render()) == "SANDBOX"
        await pilot.resize_terminal(80, 24)
        await wait_until(pilot, lambda: app.screen is home, what="home again")


async def test_ansi_theme_from_profile(make_app: AppFactory) -> None:
    app = make_app(profile=sandbox_profile(theme="ansi-dark"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
        assert app.theme == "ansi-dark"


async def test_q_quits(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_home(pilot)
        await pilot.press("q")
        await wait_until(pilot, lambda: app._exit, what="exit")


async def test_too_small_under_a_dialog_goes_away_when_the_dialog_closes(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        home = await wait_for_home(pilot)
        await pilot.resize_terminal(40, 10)
        await wait_for_screen(pilot, TooSmallScreen)
        app.push_screen(HelpScreen(home))  # something opened while the terminal was small
        await wait_for_screen(pilot, HelpScreen)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is home, what="home again")
