"""An email message rendered as text (pushed from ``:emails`` with ``p``).

The server renders the message (``POST /v1/email-messages/{id}/preview``) with sample data, or
for a chosen customer (``u`` opens a customer search; ``s`` goes back to sample data); the
subject and the plain-text part are shown. A placeholder the server could not fill stays
visible as written, and is pointed out.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from preo_tui.api.email_messages import EmailMessage, EmailPreview
from preo_tui.api.users import User
from preo_tui.ui.base import PreoScreen
from preo_tui.ui.emails.placeholders import placeholders
from preo_tui.ui.emails.user_picker import UserSearchModal, user_label
from preo_tui.ui.formatting import value_of


class EmailPreviewScreen(PreoScreen):
    """The rendered subject and text of one message."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "choose_user", "Customer…", id="email_preview.user"),
        Binding("s", "sample", "Sample data", id="email_preview.sample"),
        Binding("escape", "back", "Back", id="email_preview.back"),
    ]

    DEFAULT_CSS = """
    EmailPreviewScreen #pv { height: 1fr; padding: 0 1; }
    EmailPreviewScreen #pv-head { height: auto; }
    EmailPreviewScreen #pv-subject { height: auto; margin-top: 1; }
    EmailPreviewScreen #pv-text { height: auto; border: round $panel-lighten-2; padding: 0 1; }
    EmailPreviewScreen #pv-warn { height: auto; color: $warning; }
    """

    def __init__(self, message: EmailMessage) -> None:
        super().__init__()
        self.message = message
        self.user: User | None = None
        self.preview: EmailPreview | None = None

    @property
    def SCREEN_TITLE(self) -> str:  # type: ignore[override]  # a property where the base class has a plain class attribute
        return f"Preview: {self.message.title or self.message.id}"

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="pv"):
            yield Static("", id="pv-head")
            yield Static("rendering…", id="pv-subject")
            yield Static("", id="pv-warn", markup=False)
            yield Static("", id="pv-text", markup=False)

    def on_mount(self) -> None:
        self._head()
        self.run_job(self.render_preview, group="preview", exclusive=True)

    def _head(self) -> None:
        head = Text("For: ", style="dim")
        if self.user is None:
            head.append("sample data", style="bold")
        else:
            head.append(user_label(self.user), style="bold")
        head.append(
            f"   ({value_of(self.message.type)} · {value_of(self.message.scope)})  "
            "u choose a customer · s sample data",
            style="dim",
        )
        self.query_one("#pv-head", Static).update(head)

    async def render_preview(self) -> None:
        client = self.ctx.client
        if client is None:
            return
        user_id = self.user.id if self.user is not None else None
        preview = await client.email_messages.preview(self.message.id, user_id=user_id)
        self.preview = preview
        self.mark_fresh()
        subject = Text("Subject: ", style="dim")
        subject.append(preview.subject or "", style="bold")
        self.query_one("#pv-subject", Static).update(subject)
        text = (preview.text or "").strip()
        self.query_one("#pv-text", Static).update(text or "(no text part)")
        left = sorted(set(placeholders((preview.subject or "") + "\n" + text)))
        warn = ""
        if left:
            names = ", ".join("{{ " + name + " }}" for name in left)
            warn = f"Not filled in by the server (unknown placeholders): {names}"
        self.query_one("#pv-warn", Static).update(warn)

    def action_choose_user(self) -> None:
        client = self.ctx.client
        edition = self.ctx.edition
        if client is None:
            return

        def chosen(user: User | None) -> None:
            if user is None:
                return
            self.user = user
            self._head()
            self.run_job(self.render_preview, group="preview", exclusive=True)

        self.app.push_screen(
            UserSearchModal(
                client,
                organization_id=edition.organization_id if edition else None,
                edition_id=edition.id if edition else None,
            ),
            callback=chosen,
        )

    def action_sample(self) -> None:
        self.user = None
        self._head()
        self.run_job(self.render_preview, group="preview", exclusive=True)

    def show_for(self, user: User | None) -> Any:
        """Render for ``user`` (None: sample data); returns the worker (tests await it)."""
        self.user = user
        self._head()
        return self.run_job(self.render_preview, group="preview", exclusive=True)
