"""Create an email message (contract §9 "Create email message": ``organization_id``, ``title``,
``type``, ``edition_id``, ``scope`` ``template`` or ``edition``, ``template`` ``modern``).

The contract's create body has no language: a message holds every language's text and the
language is chosen when it is previewed or sent, so the form does not ask for one.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.widgets import Input, Select

from preo_tui.actions import make
from preo_tui.api.email_messages import EmailMessage
from preo_tui.ui.editions.fields import FormModal
from preo_tui.ui.writes import perform

TYPES: tuple[tuple[str, str], ...] = (
    ("campaign — a campaign's content", "campaign"),
    ("receipt — order receipt", "receipt"),
    ("receipt_online — online order receipt", "receipt_online"),
    ("reminder — before the event", "reminder"),
    ("refund_confirmation — refund paid", "refund_confirmation"),
    ("user_portal_access — portal sign-in link", "user_portal_access"),
    ("other", "other"),
)
TEMPLATES: tuple[tuple[str, str], ...] = (("modern", "modern"),)


class EmailCreateModal(FormModal[EmailMessage]):
    FORM_TITLE: ClassVar[str] = "New email message"
    SAVE_LABEL: ClassVar[str] = "Create"

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        edition = ctx.edition
        super().__init__(subtitle=f"for {edition.name}" if edition else "")

    def compose_fields(self) -> ComposeResult:
        yield from self.field_row("title", "Title", Input("", id="f-title"))
        yield from self.field_row(
            "type", "Type", Select[str](TYPES, id="f-type", value="campaign", allow_blank=False)
        )
        edition = self.ctx.edition
        scopes = [("template — reusable by every edition", "template")]
        if edition is not None:
            scopes.insert(0, (f"edition — {edition.name} only", "edition"))
        yield from self.field_row(
            "scope",
            "Scope",
            Select[str](scopes, id="f-scope", value=scopes[0][1], allow_blank=False),
        )
        yield from self.field_row(
            "template",
            "Template",
            Select[str](TEMPLATES, id="f-template", value="modern", allow_blank=False),
        )
        yield from self.field_row("subject", "Subject", Input("", id="f-subject"))

    def collect(self) -> dict[str, Any]:
        title = self.text("title").strip()
        if not title:
            self.fail("title", "Give the message a title.")
        values: dict[str, Any] = {
            "title": title,
            "type": self.choice("type"),
            "scope": self.choice("scope"),
            "template": self.choice("template"),
        }
        subject = self.text("subject").strip()
        if subject:
            values["subject"] = subject
        return values

    async def send(self, values: dict[str, Any]) -> EmailMessage:
        org = self.ctx.organization
        edition = self.ctx.edition
        body = dict(values)
        body["organization_id"] = org.id if org else ""
        if body["scope"] == "edition" and edition is not None:
            body["edition_id"] = edition.id

        action = make(
            "email_messages.create",
            f"create email message {values['title']} ({values['type']})",
            **body,
        )
        created: EmailMessage = await perform(self.ctx, action)
        return created
