"""Pick a customer by searching the server as you type (for the email preview).

The list starts with the current edition's customers; typing searches the organization's users
(name, email, phone) 250 ms after the last key. ``enter`` picks the highlighted one, ``escape``
cancels. Dismisses with the chosen ``User`` or ``None``.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option
from textual.worker import Worker

from preo_tui.api.users import User
from preo_tui.ui.base import forward_worker_failure

#: Users shown per search.
PAGE = 20


def user_label(user: User) -> str:
    name = f"{user.first_name or ''} {user.last_name or ''}".strip() or "(no name)"
    return f"{name}  <{user.email or 'no email'}>  {user.phone or ''}".rstrip()


class UserSearchModal(ModalScreen[User | None]):
    """Search the organization's users and pick one."""

    DEFAULT_CSS = """
    UserSearchModal { align: center middle; }
    UserSearchModal > Vertical {
        width: 80; max-width: 98%; height: auto; max-height: 90%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    UserSearchModal .pick-title { text-style: bold; margin-bottom: 1; }
    UserSearchModal OptionList { height: auto; max-height: 12; }
    UserSearchModal #pick-status { color: $text-muted; height: 1; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="emails.user_cancel")]

    def __init__(self, client: Any, *, organization_id: str | None, edition_id: str | None) -> None:
        super().__init__()
        self.client = client
        self.organization_id = organization_id
        self.edition_id = edition_id
        self.users: list[User] = []
        self.searched: str | None = None
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Preview for which customer?", classes="pick-title")
            yield Input(placeholder="type a name, email or phone", id="pick-search")
            yield OptionList(id="pick-list")
            yield Label("loading…", id="pick-status", markup=False)

    def on_mount(self) -> None:
        self.query_one("#pick-search", Input).focus()
        self._search("")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        forward_worker_failure(self, event)

    @on(Input.Changed, "#pick-search")
    def _changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        text = event.value
        self._timer = self.set_timer(0.25, lambda: self._search(text))

    def _search(self, text: str) -> None:
        self.run_worker(
            self._load(text.strip()), group="search", exclusive=True, exit_on_error=False
        )

    async def _load(self, text: str) -> None:
        if text:
            page = await self.client.users.list(
                organization_id=self.organization_id, search=text, page_size=PAGE
            )
        else:
            page = await self.client.users.list(edition_id=self.edition_id, page_size=PAGE)
        self.users = list(page.results)
        self.searched = text
        options = self.query_one("#pick-list", OptionList)
        options.clear_options()
        for index, user in enumerate(self.users):
            options.add_option(Option(user_label(user), id=str(index)))
        if self.users:
            options.highlighted = 0
        count = int(getattr(page, "count", len(self.users)) or 0)
        what = f"matching {text!r}" if text else "of this edition"
        status = f"{count:,} customers {what}" + (f" (first {PAGE} shown)" if count > PAGE else "")
        self.query_one("#pick-status", Label).update(
            status if self.users else f"no customer {what}"
        )

    @on(Input.Submitted, "#pick-search")
    def _submit(self) -> None:
        options = self.query_one("#pick-list", OptionList)
        if options.highlighted is not None and self.users:
            self.dismiss(self.users[options.highlighted])

    def on_key(self, event: Any) -> None:
        key = getattr(event, "key", "")
        options = self.query_one("#pick-list", OptionList)
        if key in ("down", "up") and self.focused is not options:
            options.action_cursor_down() if key == "down" else options.action_cursor_up()

    @on(OptionList.OptionSelected, "#pick-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(self.users[int(event.option.id)])

    def action_cancel(self) -> None:
        self.dismiss(None)
