"""The segment editor (create and edit), pushed from the ``:segments`` screen.

Fields: name, description, communication type, channel, consent (offered and required only for
marketing segments) and the condition in a :class:`~preo_tui.ui.segments.cel_editor.CelEditor`
checked on every keystroke against the edition's CEL context (``cel-context``; the contract's
context when the server cannot be reached), validated by the server 300 ms after typing stops
(with the audience estimate), with completion (``ctrl+n``, or by itself while typing) and
the contract's example conditions (``ctrl+o``). ``ctrl+s`` saves; saving is refused while the
local check fails, and a 400 on ``condition`` is shown at its position in the editor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.widgets import Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from preo_tui.actions import Action, make
from preo_tui.api.segments import Segment
from preo_tui.cel import CONTRACT_EXAMPLES, CelContext, SchemaError, contract_context
from preo_tui.ui.base import PreoScreen
from preo_tui.ui.errors import ErrorReport, describe_error
from preo_tui.ui.list_actions import leave_editor
from preo_tui.ui.segments.cel_editor import (
    CelEditor,
    ServerVerdict,
    estimate_text,
    highlight_cel,
    parse_server_condition_errors,
    server_verdict_from,
    variable_names,
)
from preo_tui.ui.widgets.choice import Choice, ChoiceModal
from preo_tui.ui.writes import perform

TYPES = ("transactional", "marketing")
CHANNELS = ("any", "email", "sms", "pass_push")
CHANNEL_LABELS = {
    "any": "any",
    "email": "email (valid address)",
    "sms": "sms (valid phone)",
    "pass_push": "pass push (wallet)",
}
FORM_FIELDS = ("name", "description", "communication_type", "communication_channel", "consent_id")


def _value(v: Any) -> str:
    return "" if v is None else str(getattr(v, "value", v))


def _accepts_audience(target: Any) -> bool:
    """Whether the client's ``validate_cel`` takes the audience rules (newer clients do)."""
    import inspect

    validate = getattr(target, "validate_cel", target)
    try:
        parameters = inspect.signature(validate).parameters
    except (TypeError, ValueError):
        return False
    return "communication_channel" in parameters


class SegmentEditorScreen(PreoScreen):
    """Create a segment (``segment=None``) or edit one."""

    IS_FORM = True
    DIRTY_WHAT = "The segment"

    WIDE_AT: ClassVar[int] = 120
    SHORT_BELOW: ClassVar[int] = 24

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s,f2", "save", "Save", id="segment_editor.save", priority=True),
        Binding("ctrl+n", "complete", "Complete", id="segment_editor.complete"),
        Binding("ctrl+o", "snippets", "Examples", id="segment_editor.snippets"),
        Binding("escape", "back", "Close", id="segment_editor.close"),
    ]

    #: The API operations this screen performs and the key (or moment) performing each
    #: (the operation map, ``preo_tui.ui.operations``).
    PERFORMS: ClassVar[dict[str, str]] = {
        "segments.create": "ctrl+s",
        "segments.update": "ctrl+s",
        "segments.cel_context": "(opens)",
        "segments.validate_cel": "(typing)",
    }

    DEFAULT_CSS = """
    SegmentEditorScreen #seg-edit { height: 1fr; layout: horizontal; }
    SegmentEditorScreen #seg-form { width: 1fr; height: 1fr; padding: 0 1; }
    SegmentEditorScreen #seg-side { display: none; width: 44; height: 1fr; padding: 0 1;
        border-left: solid $panel-lighten-2; }
    SegmentEditorScreen.-wide #seg-side { display: block; }
    SegmentEditorScreen .form-row { height: 1; margin-bottom: 1; }
    SegmentEditorScreen.-short .form-row { margin-bottom: 0; }
    SegmentEditorScreen .form-label { width: 13; color: $text-muted; }
    SegmentEditorScreen .form-label-inline { width: auto; color: $text-muted; margin: 0 1 0 2; }
    SegmentEditorScreen #f-name, SegmentEditorScreen #f-description { width: 1fr; }
    SegmentEditorScreen #f-type { width: 19; }
    SegmentEditorScreen #f-channel { width: 26; }
    SegmentEditorScreen #f-consent { width: 1fr; }
    SegmentEditorScreen #row-consent.-hidden { display: none; }
    SegmentEditorScreen #cond-head { height: 1; }
    SegmentEditorScreen #cond-label { width: auto; color: $text-muted; }
    SegmentEditorScreen #f-context-note { width: 1fr; color: $text-muted; margin-left: 2; }
    SegmentEditorScreen #f-message { height: auto; color: $text-error; }
    SegmentEditorScreen .side-title { text-style: bold; color: $text-accent; height: 1; }
    SegmentEditorScreen #snippets { height: auto; max-height: 12; margin-bottom: 1; }
    SegmentEditorScreen #variables { height: auto; margin-bottom: 1; }
    SegmentEditorScreen #estimates { height: auto; color: $text-muted; }
    """

    def __init__(
        self,
        segment: Segment | None,
        *,
        on_saved: Callable[[Segment], None] | None = None,
    ) -> None:
        super().__init__()
        self.segment = segment
        self.on_saved = on_saved
        self.cel_context: CelContext = contract_context()
        self.context_source = "contract"
        self.saved: Segment | None = None
        self.saving = False
        #: The last write sent and not known to have succeeded (its key is reused).
        self._last_action: Action | None = None
        self._initial: dict[str, str] = {}
        self._shown_message = ""

    @property
    def edition_id(self) -> str:
        if self.segment is not None and self.segment.edition_id:
            return self.segment.edition_id
        edition = self.ctx.edition
        return edition.id if edition is not None else ""

    @property
    def SCREEN_TITLE(self) -> str:  # type: ignore[override]  # a property where the base class has a plain class attribute
        if self.segment is None:
            return "New segment"
        return f"Edit segment: {self.segment.name or self.segment.id}"

    # -- composition ----------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        seg = self.segment
        kind = _value(seg.communication_type) if seg else "transactional"
        channel = _value(seg.communication_channel) if seg else "any"
        consent = seg.consent_id if seg else None
        with Horizontal(id="seg-edit"):
            with Vertical(id="seg-form"):
                with Horizontal(classes="form-row"):
                    yield Label("Name", classes="form-label")
                    yield Input(
                        seg.name or "" if seg else "",
                        placeholder="e.g. Danish speakers",
                        id="f-name",
                        compact=True,
                    )
                with Horizontal(classes="form-row"):
                    yield Label("Description", classes="form-label")
                    yield Input(
                        seg.description or "" if seg else "",
                        placeholder="what the segment is for",
                        id="f-description",
                        compact=True,
                    )
                with Horizontal(classes="form-row"):
                    yield Label("Type", classes="form-label")
                    yield Select[str](
                        [(t, t) for t in TYPES if t] + self._extra_option(kind, TYPES),
                        value=kind if kind else "transactional",
                        allow_blank=False,
                        id="f-type",
                        compact=True,
                    )
                    yield Label("Channel", classes="form-label-inline")
                    yield Select[str](
                        [(CHANNEL_LABELS[c], c) for c in CHANNELS]
                        + self._extra_option(channel, CHANNELS),
                        value=channel if channel else "any",
                        allow_blank=False,
                        id="f-channel",
                        compact=True,
                    )
                with Horizontal(
                    classes="form-row" + ("" if kind == "marketing" else " -hidden"),
                    id="row-consent",
                ):
                    yield Label("Consent", classes="form-label")
                    yield Select[str](
                        [(consent, consent)] if consent else [],
                        value=consent if consent else Select.NULL,
                        prompt="choose the consent marketing needs",
                        id="f-consent",
                        compact=True,
                    )
                with Horizontal(id="cond-head"):
                    yield Label("Condition (CEL)", id="cond-label")
                    yield Static("context: contract", id="f-context-note", markup=False)
                yield CelEditor(
                    seg.condition or "" if seg else "",
                    context=self.cel_context,
                    validator=self._validate,
                    id="f-condition",
                )
                yield Static("", id="f-message", markup=False)
            with Vertical(id="seg-side"):
                yield Label("Examples (enter inserts)", classes="side-title")
                yield OptionList(
                    *[Option(example, id=str(i)) for i, example in enumerate(CONTRACT_EXAMPLES)],
                    id="snippets",
                )
                yield Label("Variables", classes="side-title")
                yield Static("", id="variables", markup=False)
                yield Label("Recent estimates", classes="side-title")
                yield Static("none yet", id="estimates", markup=False)

    @staticmethod
    def _extra_option(value: str, known: tuple[str, ...]) -> list[tuple[str, str]]:
        # A value this version does not know (contract §11) is kept, shown as-is.
        return [(value, value)] if value and value not in known else []

    @property
    def editor(self) -> CelEditor:
        return self.query_one("#f-condition", CelEditor)

    def on_mount(self) -> None:
        self._initial = self.form_values()
        self._show_variables()
        self.set_class(self.app.size.width >= self.WIDE_AT, "-wide")
        self.set_class(self.app.size.height < self.SHORT_BELOW, "-short")
        if self.segment is None:
            self.query_one("#f-name", Input).focus()
        else:
            self.editor.focus_input()
        self.run_job(self._load_context(), group="cel-context", exclusive=True)

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width >= self.WIDE_AT, "-wide")
        # on short terminals the form drops its spacing so the condition keeps its room
        self.set_class(event.size.height < self.SHORT_BELOW, "-short")

    # -- the CEL context ------------------------------------------------------------------------

    async def _load_context(self) -> None:
        client = self.ctx.client
        edition_id = self.edition_id
        note = self.query_one("#f-context-note", Static)
        if client is None or not edition_id:
            note.update("context: contract (not signed in)")
            return
        query = self.data_query(
            "segments.cel_context",
            lambda: client.segments.cel_context(edition_id),
            edition_id=edition_id,
        )
        try:
            model = await self.load_data(query, fresh=False)
            context = CelContext.from_json(model.model_dump(mode="json"))
        except SchemaError as exc:
            note.update(f"context: contract (the server's is unusable: {exc})")
            return
        except Exception as exc:
            note.update(f"context: contract (server unreachable: {describe_error(exc).message})")
            return
        self.cel_context = context
        self.context_source = "edition"
        self.editor.set_context(context)
        self._show_variables()
        self._fill_consents()
        note.update(
            f"context: edition ({len(context.dynamic_values.products)} products, "
            f"{len(context.dynamic_values.consents)} consents)"
        )

    def _fill_consents(self) -> None:
        select = self.query_one("#f-consent", Select)
        current = select.value if select.value is not Select.NULL else None
        options = [
            (f"{c.label} ({c.value})" if c.label else c.value, c.value)
            for c in self.cel_context.dynamic_values.consents
        ]
        if isinstance(current, str) and current not in {v for _, v in options}:
            options.append((current, current))
        select.set_options(options)
        if isinstance(current, str):
            select.value = current

    def _show_variables(self) -> None:
        out = Text()
        for i, (name, ctype) in enumerate(self.cel_context.variables):
            if i:
                out.append("\n")
            out.append(name, style="bold cyan")
            out.append(f"  {ctype.short()}", style="dim")
        self.query_one("#variables", Static).update(out)

    async def _validate(self, text: str) -> ServerVerdict:
        client = self.ctx.client
        if client is None:
            raise RuntimeError("not signed in")
        validate = client.segments.validate_cel
        kwargs: dict[str, Any] = {}
        if _accepts_audience(validate):
            # [ours] the audience rules of the form, so the estimate matches a recalculation
            values = self.form_values()
            kwargs = {
                "communication_type": values["communication_type"],
                "communication_channel": values["communication_channel"],
                "consent_id": values["consent_id"] or None,
            }
        model = await validate(text, self.edition_id, **kwargs)
        return server_verdict_from(model, text)

    # -- form -----------------------------------------------------------------------------------

    def form_values(self) -> dict[str, str]:
        consent = self.query_one("#f-consent", Select).value
        return {
            "name": self.query_one("#f-name", Input).value.strip(),
            "description": self.query_one("#f-description", Input).value,
            "communication_type": str(self.query_one("#f-type", Select).value),
            "communication_channel": str(self.query_one("#f-channel", Select).value),
            "consent_id": consent if isinstance(consent, str) else "",
            "condition": self.editor.text,
        }

    @property
    def dirty(self) -> bool:
        return bool(self._initial) and self.form_values() != self._initial

    @on(Select.Changed, "#f-type")
    def _type_changed(self, event: Select.Changed) -> None:
        marketing = event.value == "marketing"
        self.query_one("#row-consent").set_class(not marketing, "-hidden")
        self._message("")

    @on(Select.Changed)
    def _audience_changed(self, event: Select.Changed) -> None:
        # type, channel and consent change who the condition reaches: estimate again
        if self.is_mounted and _accepts_audience(getattr(self.ctx.client, "segments", None)):
            self.editor.revalidate()

    @on(CelEditor.Verdict, "#f-condition")
    def _verdict(self, event: CelEditor.Verdict) -> None:
        # Each estimate is listed with the exact condition it was computed for.
        out = Text()
        for i, (text, verdict) in enumerate(event.editor.history):
            if i:
                out.append("\n")
            out.append(estimate_text(verdict), style="bold")
            out.append("\n  ")
            out.append_text(highlight_cel(" ".join(text.split()), variable_names(self.cel_context)))
        self.query_one("#estimates", Static).update(out if out.plain else "none yet")

    @on(CelEditor.Checked, "#f-condition")
    def _condition_checked(self) -> None:
        self._message("")

    def _message(self, text: str) -> None:
        if text != self._shown_message:  # an update costs a layout: only when it changes
            self._shown_message = text
            self.query_one("#f-message", Static).update(text)

    # -- actions --------------------------------------------------------------------------------

    def action_complete(self) -> None:
        self.editor.focus_input()
        if not self.editor.open_completion():
            self.notify("Nothing to complete here.", timeout=2)

    def action_snippets(self) -> None:
        choices = [Choice(example, example) for example in CONTRACT_EXAMPLES]

        def chosen(value: str | None) -> None:
            if value:
                self.editor.insert_text(value)

        self.app.push_screen(ChoiceModal("Insert an example condition", choices), callback=chosen)

    @on(OptionList.OptionSelected, "#snippets")
    def _snippet_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        index = int(event.option.id or 0)
        self.editor.insert_text(CONTRACT_EXAMPLES[index])

    def refusal(self) -> tuple[str, str] | None:
        """Why saving is refused now (message, widget id to focus), or None."""
        values = self.form_values()
        if not values["name"]:
            return "A name is required.", "#f-name"
        result = self.editor.result
        if not values["condition"].strip():
            return "A condition is required.", "#f-condition"
        if not result.ok:
            first = result.diagnostics[0]
            return (
                f"Not saved: the condition is invalid at line {first.line}, column "
                f"{first.column}: {first.message}",
                "#f-condition",
            )
        if values["communication_type"] == "marketing" and not values["consent_id"]:
            return "A marketing segment needs a consent: choose one.", "#f-consent"
        if self.ctx.read_only:
            return "This profile is read-only: nothing can be saved.", ""
        return None

    def action_save(self) -> None:
        if self.saving:
            return
        refused = self.refusal()
        if refused is not None:
            message, target = refused
            self._message(message)
            if target == "#f-condition":
                self.editor.focus_input()
            elif target:
                self.query_one(target).focus()
            return
        self.saving = True
        self._message("Saving…")
        self.run_job(self._save(), group="save", exclusive=True)

    async def _save(self) -> None:
        try:
            segment = await self._write()
        finally:
            self.saving = False
        self.saved = segment
        self._initial = self.form_values()
        self._message("")
        verb = "Created" if self.segment is None else "Saved"
        self.notify(f"{verb} segment {segment.name}.", timeout=3)
        if self.on_saved is not None:
            self.on_saved(segment)
        if self.is_current:
            self.dismiss()

    async def _write(self) -> Segment:
        client = self.ctx.client
        if client is None:
            raise RuntimeError("not signed in")
        values = self.form_values()
        marketing = values["communication_type"] == "marketing"
        consent = values["consent_id"] if marketing else None
        original = self.segment
        if original is None:
            organization = self.ctx.organization
            org_id = organization.id if organization is not None else ""

            action = make(
                "segments.create",
                f"create segment {values['name']}",
                organization_id=org_id,
                edition_id=self.edition_id,
                name=values["name"],
                description=values["description"],
                communication_type=values["communication_type"],
                communication_channel=values["communication_channel"],
                consent_id=consent,
                condition=values["condition"],
            )
        else:
            changes: dict[str, Any] = {}
            before = self._initial
            for key in ("name", "description", "communication_type", "communication_channel",
                        "condition"):  # fmt: skip
                if values[key] != before.get(key):
                    changes[key] = values[key]
            if (consent or "") != (before.get("consent_id") or "") or (
                not marketing and original.consent_id
            ):
                changes["consent_id"] = consent
            seg_id = original.id

            action = make(
                "segments.update",
                f"update segment {values['name']} ({seg_id}): {', '.join(changes) or 'no change'}",
                id=seg_id,
                **changes,
            )
        action = action.continuing(self._last_action)
        self._last_action = action
        written: Segment = await perform(self.ctx, action, self)
        self._last_action = None
        return written

    def handle_error(self, report: ErrorReport, error: BaseException) -> bool:
        fields = report.fields or {}
        if report.kind == "ValidationFailed" and fields:
            condition = fields.get("condition")
            if condition:
                diagnostics = parse_server_condition_errors(self.editor.text, condition)
                self.editor.show_server_errors(diagnostics)
            others = {k: v for k, v in fields.items() if k != "condition"}
            parts = [
                ("" if k == "non_field_errors" else f"{k}: ") + " ".join(v)
                for k, v in others.items()
            ]
            if condition:
                parts.insert(0, "The server rejects the condition (marked in the editor).")
            self._message("Not saved. " + " ".join(parts))
            return True
        if report.kind in ("Conflict", "PermissionDenied", "ReadOnlyError", "OfflineError"):
            self._message(f"Not saved: {report.message}")
            return True
        self._message(f"Not saved: {report.message}")
        return False

    def action_back(self) -> None:
        leave_editor(self, dirty=self.dirty, what="The segment")
