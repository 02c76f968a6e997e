"""Create or edit a consent (contract §10, [ours]: name, channel, the text shown to customers,
active flag), with a live preview of how a customer sees it.

Only the changed fields are sent on edit; the server's 400 lands under the fields it names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Select, Static

from preo_tui.api.consents import Consent, ConsentChannel
from preo_tui.ui.editions.fields import FormModal
from preo_tui.ui.formatting import enum_text
from preo_tui.ui.writes import perform_operation

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from preo_tui.ui.context import AppContext

CHANNELS: list[tuple[str, str]] = [
    ("email — marketing e-mails", ConsentChannel.EMAIL.value),
    ("sms — marketing text messages", ConsentChannel.SMS.value),
    ("any — e-mail and SMS", ConsentChannel.ANY.value),
]


async def consent_write(
    ctx: AppContext, operation: str, summary: str, node: DOMNode | None = None, **args: Any
) -> Any:
    """The feature's one write path: ``consents.<operation>`` as a durable action (journalled
    before sending, resolved by re-reading when its answer is lost); segments' consent labels
    are refreshed too."""
    return await perform_operation(
        ctx, f"consents.{operation}", summary, node, invalidates=("segments",), **args
    )


def preview_text(name: str, channel: str | None, text: str) -> Text:
    """How a customer sees the consent: a checkbox with the text (the name as a fallback)."""
    out = Text()
    out.append("Customer sees:  ", style="dim")
    out.append("[ ] ", style="bold")
    out.append(text.strip() or name.strip() or "(no text yet)")
    if channel:
        out.append(f"\n                channel: {channel}", style="dim")
    return out


class ConsentFormModal(FormModal[Consent]):
    FORM_TITLE: ClassVar[str] = "Consent"
    FIELD_ALIASES: ClassVar[dict[str, str]] = {"is_active": "active"}
    DEFAULT_CSS = """
    ConsentFormModal #consent-preview { margin-top: 1; background: $boost; padding: 0 1; }
    """

    def __init__(self, ctx: Any, consent: Consent | None = None) -> None:
        self.ctx = ctx
        self.consent = consent
        title = "New consent" if consent is None else "Edit consent"
        sub = "" if consent is None else f"{consent.name or consent.id} · {consent.id}"
        super().__init__(title=title, subtitle=sub)

    def compose_fields(self) -> ComposeResult:
        c = self.consent
        yield from self.field_row("name", "Name", Input((c.name or "") if c else "", id="f-name"))
        current = enum_text(c.channel) if c and c.channel is not None else "email"
        pairs = list(CHANNELS)
        if current not in {v for _, v in pairs}:
            pairs.insert(0, (f"{current} (not in the list)", current))
        yield from self.field_row(
            "channel",
            "Channel",
            Select[str](pairs, id="f-channel", value=current, allow_blank=False),
        )
        yield from self.field_row(
            "description",
            "Text",
            Input(
                (c.description or "") if c else "",
                id="f-description",
                placeholder="I want to receive news and offers by e-mail",
            ),
        )
        active = True if c is None or c.is_active is None else bool(c.is_active)
        yield from self.field_row(
            "active", "Active", Checkbox("customers can grant it", active, id="f-active")
        )
        yield Static(self._preview(), id="consent-preview", markup=False)

    def _preview(self) -> Text:
        c = self.consent
        if not self.is_mounted:
            return preview_text(
                (c.name or "") if c else "",
                enum_text(c.channel) if c and c.channel is not None else "email",
                (c.description or "") if c else "",
            )
        return preview_text(self.text("name"), self.choice("channel"), self.text("description"))

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        for widget in self.query("#consent-preview").results(Static):
            widget.update(self._preview())

    def collect(self) -> dict[str, Any]:
        name = self.text("name").strip()
        if not name:
            self.fail("name", "Give the consent a name.")
        elif len(name) > 200:
            self.fail("name", "At most 200 characters.")
        text = self.text("description").strip()
        if len(text) > 2000:
            self.fail("description", "At most 2000 characters.")
        channel = self.choice("channel")
        if channel is None:
            self.fail("channel", "Choose a channel.")
        return {
            "name": name,
            "channel": channel,
            "description": text,
            "is_active": self.checked("active"),
        }

    async def send(self, values: dict[str, Any]) -> Consent:
        c = self.consent
        if c is None:
            org = self.ctx.organization
            org_id = org.id if org else ""

            created: Consent = await consent_write(
                self.ctx, "create", f"create consent {values['name']}",
                organization_id=org_id, **values,
            )  # fmt: skip
            return created
        changes = {
            k: v
            for k, v in values.items()
            if v != (enum_text(getattr(c, k)) if k == "channel" else getattr(c, k))
            and not (k == "description" and v == "" and c.description is None)
        }
        if not changes:
            return c
        consent_id = c.id

        updated: Consent = await consent_write(
            self.ctx, "update",
            f"edit consent {c.name or consent_id} ({', '.join(sorted(changes))})",
            id=consent_id, **changes,
        )  # fmt: skip
        return updated
