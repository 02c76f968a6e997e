"""Compose a campaign (create, or edit a ``draft``/``scheduled`` one), pushed from ``:campaigns``.

Fields: name; channel (fixed once created: the contract's update has no channel); the segment,
picked from the edition's segments with each one's type, channel, consent and user count (a
marketing segment without a consent is shown but cannot be chosen, with the reason); for email,
the message, picked from the organization's ``campaign`` messages (this edition's, templates and
platform ones) with the subject and text rendered by the server's preview (sample data); for
SMS, the text with its character count and SMS parts (:mod:`preo_tui.ui.sms`), refused over 612
characters. ``ctrl+s`` saves; missing or invalid fields are marked before any request, and the
server's field errors land on their fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from preo_tui.actions import Action, make
from preo_tui.api.campaigns import Campaign
from preo_tui.api.email_messages import EmailMessage
from preo_tui.api.segments import Segment
from preo_tui.ui.base import PreoScreen
from preo_tui.ui.campaigns.common import (
    EDITABLE,
    load_campaign_messages,
    load_edition_segments,
    segment_refusal,
    segment_summary,
)
from preo_tui.ui.errors import ErrorReport, describe_error
from preo_tui.ui.formatting import article, value_of
from preo_tui.ui.list_actions import leave_editor
from preo_tui.ui.sms import SMS_MAX_CHARACTERS, SMS_MAX_PARTS, count_sms
from preo_tui.ui.widgets.choice import Choice, ChoiceModal
from preo_tui.ui.widgets.forms import field_error, hide_field_errors, show_field_error
from preo_tui.ui.writes import perform

FIELDS = ("name", "channel", "segment_id", "email_message_id", "sms_body")


class CampaignComposeScreen(PreoScreen):
    """Create a campaign (``campaign=None``) or edit one."""

    IS_FORM = True
    DIRTY_WHAT = "The campaign"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="campaign_compose.save", priority=True),
        Binding("ctrl+g", "pick_segment", "Segment", id="campaign_compose.segment"),
        Binding("ctrl+o", "pick_message", "Message", id="campaign_compose.message"),
        Binding("escape", "back", "Close", id="campaign_compose.close"),
    ]

    #: The API operations this screen performs and the key (or moment) performing each
    #: (the operation map, ``preo_tui.ui.operations``).
    PERFORMS: ClassVar[dict[str, str]] = {
        "campaigns.create": "ctrl+s",
        "campaigns.update": "ctrl+s",
    }

    DEFAULT_CSS = """
    CampaignComposeScreen #compose { height: 1fr; padding: 0 1; }
    CampaignComposeScreen .form-row { height: auto; min-height: 1; }
    CampaignComposeScreen .form-label { width: 10; color: $text-muted; }
    CampaignComposeScreen #f-name { width: 1fr; }
    CampaignComposeScreen #f-channel { width: 16; }
    CampaignComposeScreen #f-channel-fixed { width: auto; }
    CampaignComposeScreen .picker { width: auto; min-width: 12; height: 1; border: none;
        margin-right: 1; }
    CampaignComposeScreen .picked { width: 1fr; height: auto; }
    CampaignComposeScreen .field-error { color: $text-error; height: auto; margin-left: 10; }
    CampaignComposeScreen .field-error:disabled { display: none; }
    CampaignComposeScreen .gap { height: 1; }
    CampaignComposeScreen #email-part.-hidden, CampaignComposeScreen #sms-part.-hidden {
        display: none; }
    CampaignComposeScreen #preview { height: auto; max-height: 12; margin-left: 10;
        border: round $panel-lighten-2; padding: 0 1; }
    CampaignComposeScreen #f-sms { height: 6; margin-left: 10; }
    CampaignComposeScreen #sms-count { height: auto; margin-left: 10; }
    CampaignComposeScreen #sms-count.-over { color: $text-error; }
    CampaignComposeScreen #f-message { height: auto; color: $text-error; }
    CampaignComposeScreen #f-help { height: auto; color: $text-muted; }
    """

    def __init__(
        self,
        campaign: Campaign | None,
        *,
        on_saved: Callable[[Campaign], None] | None = None,
    ) -> None:
        super().__init__()
        self.campaign = campaign
        self.on_saved = on_saved
        self.segments: list[Segment] = []
        self.messages: list[EmailMessage] = []
        self.segment_id: str | None = campaign.segment_id if campaign else None
        self.message_id: str | None = campaign.email_message_id if campaign else None
        self.preview_text: Text | None = None
        self.errors: dict[str, str] = {}
        self.saved: Campaign | None = None
        self.saving = False
        self.save_error: BaseException | None = None
        #: The last write sent and not known to have succeeded (its key is reused).
        self._last_action: Action | None = None
        self.loaded = False
        self._initial: dict[str, str] = {}

    @property
    def SCREEN_TITLE(self) -> str:  # type: ignore[override]  # a property where the base class has a plain class attribute
        if self.campaign is None:
            return "New campaign"
        return f"Edit campaign: {self.campaign.name or self.campaign.id}"

    # -- composition ----------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        c = self.campaign
        channel = value_of(c.channel) if c else "email"
        with VerticalScroll(id="compose"):
            with Horizontal(classes="form-row"):
                yield Label("Name", classes="form-label")
                yield Input(
                    c.name or "" if c else "",
                    placeholder="e.g. Last tickets reminder",
                    id="f-name",
                    compact=True,
                )
            yield field_error("name")
            with Horizontal(classes="form-row"):
                yield Label("Channel", classes="form-label")
                if c is None:
                    yield Select(
                        [("email", "email"), ("SMS", "sms")],
                        value=channel,
                        allow_blank=False,
                        id="f-channel",
                        compact=True,
                    )
                else:
                    yield Label(
                        f"{channel} (fixed once created)", id="f-channel-fixed", markup=False
                    )
            yield field_error("channel")
            with Horizontal(classes="form-row"):
                yield Label("Segment", classes="form-label")
                yield Button("Choose…", id="pick-segment", classes="picker", compact=True)
                yield Static("loading the segments…", id="segment-picked", classes="picked")
            yield field_error("segment_id")
            with Vertical(id="email-part"):
                with Horizontal(classes="form-row"):
                    yield Label("Message", classes="form-label")
                    yield Button("Choose…", id="pick-message", classes="picker", compact=True)
                    yield Static("", id="message-picked", classes="picked", markup=False)
                yield field_error("email_message_id")
                yield Static("", id="preview", markup=False)
            with Vertical(id="sms-part"):
                with Horizontal(classes="form-row"):
                    yield Label("SMS text", classes="form-label")
                yield TextArea(c.sms_body or "" if c else "", id="f-sms", soft_wrap=True)
                yield Static("", id="sms-count", markup=False)
                yield field_error("sms_body")
            yield Static("", classes="gap")
            yield Static("", id="f-message", markup=False)
            yield Static(
                "ctrl+s save · ctrl+g segment · ctrl+o message · escape close",
                id="f-help",
                markup=False,
            )

    def on_mount(self) -> None:
        self._show_channel()
        self._update_sms_count()
        self.query_one("#preview", Static).display = False
        hide_field_errors(self, FIELDS)
        self.call_after_refresh(self.query_one("#f-name", Input).focus)
        self.run_job(self.load_choices, group="choices", exclusive=True)

    async def load_choices(self) -> None:
        try:
            await self._load_choices()
        except Exception as exc:
            report = describe_error(exc)
            self.query_one("#segment-picked", Static).update(
                Text(f"could not load the choices: {report.message} (r retries)", style="red")
            )
            raise

    async def poll(self) -> None:
        """``r`` re-reads the segments and messages (the form's values are kept)."""
        await self._load_choices()

    async def _load_choices(self) -> None:
        client = self.ctx.client
        edition = self.ctx.edition
        if client is None or edition is None:
            return
        segments = await load_edition_segments(self, client, edition)
        self.segments = sorted(segments, key=lambda s: (s.name or "").lower())
        messages = await load_campaign_messages(self, client, edition)
        scope_rank = {"edition": 0, "template": 1, "platform": 2}
        self.messages = sorted(
            (m for m in messages if m.edition_id in (None, edition.id)),
            key=lambda m: (scope_rank.get(value_of(m.scope), 3), (m.title or "").lower()),
        )
        first = not self.loaded
        self.loaded = True
        self._show_segment()
        self._show_message()
        if first:
            self._initial = self.form_values()
        if self.message_id and self.preview_text is None:
            await self.load_preview(self.message_id)

    # -- values ---------------------------------------------------------------------------------

    @property
    def channel(self) -> str:
        if self.campaign is not None:
            return value_of(self.campaign.channel) or "email"
        value = self.query_one("#f-channel", Select).value
        return str(value) if isinstance(value, str) else "email"

    def form_values(self) -> dict[str, str]:
        return {
            "name": self.query_one("#f-name", Input).value.strip(),
            "channel": self.channel,
            "segment_id": self.segment_id or "",
            "email_message_id": self.message_id or "",
            "sms_body": self.query_one("#f-sms", TextArea).text,
        }

    @property
    def dirty(self) -> bool:
        return self.saved is None and self.form_values() != self._initial

    def segment(self) -> Segment | None:
        return next((s for s in self.segments if s.id == self.segment_id), None)

    def message(self) -> EmailMessage | None:
        return next((m for m in self.messages if m.id == self.message_id), None)

    # -- display --------------------------------------------------------------------------------

    @on(Select.Changed, "#f-channel")
    def _channel_changed(self) -> None:
        self._show_channel()

    def _show_channel(self) -> None:
        email = self.channel == "email"
        self.query_one("#email-part").set_class(not email, "-hidden")
        self.query_one("#sms-part").set_class(email, "-hidden")
        if self.loaded:
            self._show_segment()

    def _show_segment(self) -> None:
        shown = self.query_one("#segment-picked", Static)
        segment = self.segment()
        if segment is None:
            text = Text(
                "none chosen" if self.segment_id is None else f"{self.segment_id} (not found)",
                style="dim",
            )
        else:
            text = Text(segment.name or segment.id, style="bold")
            text.append(f"  {segment_summary(segment)}", style="dim")
            channel = value_of(segment.communication_channel)
            if channel not in ("any", self.channel, ""):
                said = "SMS" if channel == "sms" else channel.replace("_", " ")
                text.append(
                    f"\n  note: {article(said)} {said} segment; only its members with "
                    f"{'an email address' if self.channel == 'email' else 'a phone'} receive it",
                    style="yellow",
                )
        shown.update(text)

    def _show_message(self) -> None:
        message = self.message()
        shown = self.query_one("#message-picked", Static)
        if message is None:
            shown.update("none chosen" if self.message_id is None else f"{self.message_id}")
        else:
            shown.update(f"{message.title}  ({value_of(message.scope)})")

    @on(TextArea.Changed, "#f-sms")
    def _update_sms_count(self) -> None:
        count = count_sms(self.query_one("#f-sms", TextArea).text)
        widget = self.query_one("#sms-count", Static)
        text = count.summary()
        if count.non_gsm:
            shown = " ".join(repr(ch)[1:-1] for ch in count.non_gsm[:5])
            text += f"\nUCS-2 because of: {shown}"
        widget.update(text)
        widget.set_class(count.too_long, "-over")

    async def load_preview(self, message_id: str) -> None:
        client = self.ctx.client
        if client is None:
            return
        preview = await client.email_messages.preview(message_id)
        out = Text("Subject: ", style="dim")
        out.append(preview.subject or "", style="bold")
        out.append("\n\n")
        out.append((preview.text or "").strip())
        self.preview_text = out
        widget = self.query_one("#preview", Static)
        widget.update(out)
        widget.display = True

    def _field_error(self, field: str, message: str) -> None:
        if message:
            self.errors[field] = message
        else:
            self.errors.pop(field, None)
        show_field_error(self, field, message)

    def _message(self, text: str) -> None:
        self.query_one("#f-message", Static).update(text)

    # -- pickers --------------------------------------------------------------------------------

    @on(Button.Pressed, "#pick-segment")
    def action_pick_segment(self) -> None:
        if not self.loaded:
            self.notify("The segments are still loading.", timeout=3)
            return
        choices: list[Choice[str]] = []
        # Only segments for this campaign's channel (and channel-less ones): an SMS campaign
        # is never offered an email segment.
        fitting = [
            s
            for s in self.segments
            if value_of(s.communication_channel) in ("", "any", self.channel)
        ]
        hidden = len(self.segments) - len(fitting)
        for s in fitting:
            reason = segment_refusal(s)
            label = f"{s.name}  ·  {segment_summary(s)}"
            if reason:
                label += "  — cannot be chosen: marketing without consent"
            choices.append(Choice(s.id, label, disabled=bool(reason), reason=reason))
        if not choices:
            if hidden:
                self.notify(
                    f"No {self.channel} segment in this edition ({hidden} for other channels): "
                    "create one in :segments.",
                    timeout=5,
                )
            else:
                self.notify("This edition has no segments yet: create one in :segments.", timeout=5)
            return

        def chosen(value: str | None) -> None:
            if value is None:
                return
            self.segment_id = value
            self._field_error("segment_id", "")
            self._show_segment()
            # on to the next field in the visual order: the message picker or the SMS text
            self.query_one("#pick-message" if self.channel == "email" else "#f-sms").focus()

        self.app.push_screen(
            ChoiceModal(
                f"Send to which {self.channel} segment?"
                + (f" ({hidden} for other channels not shown)" if hidden else ""),
                choices,
                current=self.segment_id,
            ),
            callback=chosen,
        )

    @on(Button.Pressed, "#pick-message")
    def action_pick_message(self) -> None:
        if self.channel != "email":
            self.notify("An SMS campaign has no email message: write its text.", timeout=3)
            return
        if not self.loaded:
            self.notify("The messages are still loading.", timeout=3)
            return
        choices = [
            Choice(m.id, f"{m.title}  ·  {value_of(m.scope)}  ·  {m.subject or ''}")
            for m in self.messages
        ]
        if not choices:
            self.notify("No email message of type campaign: create one in :emails.", timeout=5)
            return

        def chosen(value: str | None) -> None:
            if value is None:
                return
            self.message_id = value
            self._field_error("email_message_id", "")
            self._show_message()
            self.run_job(self.load_preview(value), group="preview", exclusive=True)

        self.app.push_screen(
            ChoiceModal("Which email message (type campaign)?", choices, current=self.message_id),
            callback=chosen,
        )

    # -- save -----------------------------------------------------------------------------------

    def check(self) -> dict[str, str]:
        """Field problems found locally (no request is made while there are any)."""
        values = self.form_values()
        problems: dict[str, str] = {}
        if not values["name"]:
            problems["name"] = "Give the campaign a name."
        elif len(values["name"]) > 200:
            problems["name"] = "At most 200 characters."
        segment = self.segment()
        if not values["segment_id"]:
            problems["segment_id"] = "Choose the segment to send to (ctrl+g)."
        elif segment is not None and segment_refusal(segment):
            problems["segment_id"] = segment_refusal(segment)
        if values["channel"] == "email":
            if not values["email_message_id"]:
                problems["email_message_id"] = "Choose the email message to send (ctrl+o)."
        else:
            body = values["sms_body"]
            if not body.strip():
                problems["sms_body"] = "Write the SMS text."
            elif len(body) > SMS_MAX_CHARACTERS:
                problems["sms_body"] = (
                    f"{len(body)} characters: an SMS campaign holds at most {SMS_MAX_CHARACTERS}."
                )
            elif count_sms(body).too_long:
                count = count_sms(body)
                problems["sms_body"] = (
                    f"{count.units} characters in UCS-2 (because of "
                    f"{' '.join(count.non_gsm[:3])}): at most {count.limit} fit in "
                    f"{SMS_MAX_PARTS} parts."
                )
        return problems

    def action_save(self) -> None:
        if self.saving:
            return
        if self.ctx.read_only:
            self._message("Not saved: this profile is read-only.")
            return
        if self.campaign is not None and value_of(self.campaign.status) not in EDITABLE:
            self._message(f"Not saved: a {value_of(self.campaign.status)} campaign cannot change.")
            return
        problems = self.check()
        for field in FIELDS:
            self._field_error(field, problems.get(field, ""))
        if problems:
            self._message(f"Not saved: {len(problems)} field(s) to fix.")
            return
        self.saving = True
        self._message("Saving…")
        self.run_job(self._save(), group="save", exclusive=True)

    async def _save(self) -> None:
        try:
            campaign = await self._write()
        except Exception as exc:
            self.save_error = exc
            raise
        finally:
            self.saving = False
        self.saved = campaign
        self._message("")
        verb = "Created" if self.campaign is None else "Saved"
        self.notify(f"{verb} campaign {campaign.name} ({value_of(campaign.status)}).", timeout=4)
        if self.on_saved is not None:
            self.on_saved(campaign)
        if self.is_current:
            self.dismiss()

    async def _write(self) -> Campaign:
        client = self.ctx.client
        edition = self.ctx.edition
        if client is None or edition is None:
            raise RuntimeError("not signed in")
        v = self.form_values()
        email = v["channel"] == "email"
        message_id = v["email_message_id"] if email else None
        sms_body = None if email else v["sms_body"]
        original = self.campaign
        if original is None:
            action = make(
                "campaigns.create",
                f"create {v['channel']} campaign {v['name']}",
                organization_id=edition.organization_id,
                edition_id=edition.id,
                segment_id=v["segment_id"],
                name=v["name"],
                channel=v["channel"],
                email_message_id=message_id,
                sms_body=sms_body,
            )
        else:
            changes: dict[str, Any] = {}
            for key in ("name", "segment_id"):
                if v[key] != self._initial.get(key):
                    changes[key] = v[key]
            if email and v["email_message_id"] != self._initial.get("email_message_id"):
                changes["email_message_id"] = message_id
            if not email and v["sms_body"] != self._initial.get("sms_body"):
                changes["sms_body"] = sms_body
            cid = original.id
            action = make(
                "campaigns.update",
                f"update campaign {v['name']} ({cid}): {', '.join(changes) or 'no change'}",
                id=cid,
                **changes,
            )
        # Saving the same draft again after a lost answer is the same action (same key).
        action = action.continuing(self._last_action)
        self._last_action = action
        written: Campaign = await perform(self.ctx, action, self)
        self._last_action = None
        return written

    def handle_error(self, report: ErrorReport, error: BaseException) -> bool:
        if error is not self.save_error:
            return False  # loading the choices: the app's toast (and the segment line) say it
        fields = report.fields or {}
        if report.kind == "ValidationFailed" and fields:
            rest = []
            for field, messages in fields.items():
                text = " ".join(str(m) for m in messages)
                if field in FIELDS:
                    self._field_error(field, text)
                else:
                    rest.append(("" if field == "non_field_errors" else f"{field}: ") + text)
            self._message("Not saved: the server refused it. " + " ".join(rest))
            return True
        self._message(f"Not saved: {report.message}")
        return report.kind in ("Conflict", "PermissionDenied", "ReadOnlyError", "OfflineError")

    # -- leaving --------------------------------------------------------------------------------

    def action_back(self) -> None:
        leave_editor(self, dirty=self.dirty, what="The campaign")
