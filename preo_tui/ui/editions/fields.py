"""Form plumbing shared by the editions, orders and customers screens.

- Parsing what an operator types into a date field (``datetime.fromisoformat``: ``2026-07-01``,
  ``2026-07-01 18:00``, ``2026-07-01T18:00+02:00``); a date without an offset is read in the
  edition's time zone. Bad input raises :class:`FieldError` with words for the operator.
- The contract's fixed lists (languages, phone prefixes, tax types, slug pattern), used to check
  input before anything is sent and as a fallback when a server offers no ``field-choices``.
- :class:`FormModal`: a modal form with one error line under every field. Client-side checks
  run first and send nothing when they fail; a server 400 (``ValidationFailed.fields``) is
  mapped onto the same error lines; any other failure is one line at the bottom. Never a
  traceback.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar
from zoneinfo import ZoneInfo

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, SelectionList, Static

from preo_tui.ui import clock
from preo_tui.ui.errors import describe_error
from preo_tui.ui.widgets.forms import TracksChanges

R = TypeVar("R")

# -- the contract's fixed lists (§1, §3) ------------------------------------------------------

#: Languages [doc] (Swedish is ``se``).
CONTRACT_LANGUAGES: dict[str, str] = {
    "en": "English",
    "da": "Danish",
    "se": "Swedish",
    "nl": "Dutch",
    "pl": "Polish",
}
#: Phone prefixes (``default_country_code``) [doc].
CONTRACT_PHONE_PREFIXES: tuple[str, ...] = (
    "+43",
    "+32",
    "+45",
    "+358",
    "+33",
    "+49",
    "+31",
    "+47",
    "+48",
    "+46",
    "+41",
    "+44",
    "+1",
)
#: Tax types [doc].
CONTRACT_TAX_TYPES: dict[str, str] = {"none": "No tax", "vat": "VAT", "sales": "Sales tax"}
#: The edition slug pattern [doc].
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")

DATE_HINT = "YYYY-MM-DD or YYYY-MM-DD HH:MM"


class FieldError(ValueError):
    """Bad input in one field (the message is for the operator)."""


# -- parsing ----------------------------------------------------------------------------------


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone ``name`` (UTC when unknown or empty)."""
    return clock.zone(name)


def parse_when(text: str, tz: str | None = None, *, end_of_day: bool = False) -> datetime | None:
    """An instant from what the operator typed; ``None`` for an empty field.

    A bare date means the start of that day (the end of it with ``end_of_day``) in ``tz``; a
    date and time without an offset is read in ``tz`` too. Raises :class:`FieldError`."""
    value = text.strip()
    if not value:
        return None
    candidate = value.replace("Z", "+00:00") if value.endswith("Z") else value
    try:
        if len(candidate) == 10:
            day = date.fromisoformat(candidate)
            moment = datetime.combine(day, time.max if end_of_day else time.min)
            moment = moment.replace(microsecond=0) if end_of_day else moment
            return moment.replace(tzinfo=zone(tz))
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        raise FieldError(f"Not a date: {value!r} (use {DATE_HINT}, or ISO 8601)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(tz))
    return parsed


def parse_money(text: str) -> Decimal | None:
    value = text.strip().replace(",", "")
    if not value:
        return None
    try:
        amount = Decimal(value)
    except ArithmeticError:
        raise FieldError(f"Not an amount: {text.strip()!r}") from None
    if not amount.is_finite():
        raise FieldError(f"Not an amount: {text.strip()!r}")
    return amount


def check_slug(text: str) -> str:
    slug = text.strip()
    if slug and not SLUG_RE.match(slug):
        raise FieldError("Only letters, digits, '-' and '_' (no spaces or accents).")
    return slug


def normalize_phone(text: str, prefixes: Iterable[str] = CONTRACT_PHONE_PREFIXES) -> str:
    """``+45 20 12 34 56`` → ``+4520123456``; raises :class:`FieldError` unless it starts with
    one of the documented prefixes and has 6 to 15 digits."""
    phone = re.sub(r"[\s\-().]", "", text.strip())
    if not phone.startswith("+"):
        raise FieldError("Start with + and a country code, e.g. +4520123456.")
    if not re.fullmatch(r"\+\d{6,15}", phone):
        raise FieldError("Only digits after the +, 6 to 15 of them, e.g. +4520123456.")
    known = sorted(prefixes, key=len, reverse=True)
    if not any(phone.startswith(p) for p in known):
        raise FieldError("Unsupported country code; use one of " + " ".join(known) + ".")
    check_phone_length(phone)
    return phone


def check_phone_length(phone: str) -> None:
    """The number of digits must fit the country (``+45 2012 345`` is one short for
    Denmark); raises :class:`FieldError`. Google's libphonenumber metadata
    (``phonenumbers``) knows each country's lengths; numbers are not checked against
    allocated ranges (test numbers stay usable)."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        raise FieldError("Not a phone number; e.g. +4520123456.") from None
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason == phonenumbers.ValidationResult.IS_POSSIBLE:
        return
    region = phonenumbers.region_code_for_number(parsed) or "?"
    code = f"+{parsed.country_code}"
    digits = len(str(parsed.national_number))
    lengths = _national_lengths(region)
    wanted = f" (it takes {lengths})" if lengths else ""
    if reason == phonenumbers.ValidationResult.TOO_SHORT:
        raise FieldError(f"Too few digits for {code} ({region}): {digits} after {code}{wanted}.")
    if reason == phonenumbers.ValidationResult.TOO_LONG:
        raise FieldError(f"Too many digits for {code} ({region}): {digits} after {code}{wanted}.")
    raise FieldError(f"Not a possible {code} ({region}) number{wanted}.")


def _national_lengths(region: str) -> str:
    from phonenumbers import PhoneMetadata

    meta = PhoneMetadata.metadata_for_region(region, None)
    desc = getattr(meta, "general_desc", None) if meta is not None else None
    lengths = sorted(set(getattr(desc, "possible_length", None) or ()))
    if not lengths:
        return ""
    if len(lengths) == 1:
        return f"{lengths[0]} digits"
    return f"{', '.join(map(str, lengths[:-1]))} or {lengths[-1]} digits"


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")


def check_email(text: str) -> str:
    email = text.strip()
    if not EMAIL_RE.match(email):
        raise FieldError("Enter an email address like name@example.com.")
    return email


# -- formatting -------------------------------------------------------------------------------


def fmt_when(value: datetime | None, tz: str | None = None, *, seconds: bool = False) -> str:
    """Local time in the edition's zone (the one clock rule: ``preo_tui.ui.clock``)."""
    return clock.when(value, tz, seconds=seconds)


def fmt_day(value: datetime | None, tz: str | None = None) -> str:
    return clock.day(value, tz)


def fmt_input_when(value: datetime | None, tz: str | None = None) -> str:
    """A value for a date input: local time in ``tz``, no offset."""
    if value is None:
        return ""
    local = value.astimezone(zone(tz))
    if local.time() == time.min:
        return local.strftime("%Y-%m-%d")
    return local.strftime("%Y-%m-%d %H:%M")


def choice_pairs(
    choices: Mapping[str, Sequence[Any]] | None, field: str, fallback: Mapping[str, str]
) -> list[tuple[str, str]]:
    """``[(label, value)]`` for a ``Select`` from a ``field-choices`` answer (objects with
    ``value``/``label``), else from the contract's list."""
    items = (choices or {}).get(field)
    pairs: list[tuple[str, str]] = []
    for item in items or ():
        value = getattr(item, "value", None)
        if value is None and isinstance(item, Mapping):
            value = item.get("value")
        if value is None:
            continue
        label = getattr(item, "label", None)
        if label is None and isinstance(item, Mapping):
            label = item.get("label")
        pairs.append((str(label or value), str(value)))
    if not pairs:
        pairs = [(f"{value}  {label}", value) for value, label in fallback.items()]
    return pairs


# -- the form ---------------------------------------------------------------------------------


class FormModal(TracksChanges, ModalScreen[R | None], Generic[R]):
    """A modal form: fields in a column, an error line under each, Save/Cancel.

    Subclasses implement ``compose_fields`` (using :meth:`field_row`), ``collect`` (read and
    check the inputs, raising nothing: record problems with :meth:`fail`) and ``send`` (the
    write, returning the result the modal dismisses with). ``ctrl+s`` saves from anywhere,
    ``enter`` in a text field too; ``escape`` cancels.
    """

    FORM_TITLE: ClassVar[str] = "Form"
    SAVE_LABEL: ClassVar[str] = "Save"

    DEFAULT_CSS = """
    FormModal { align: center middle; }
    FormModal > Vertical {
        width: 76; max-width: 98%; height: auto; max-height: 96%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    FormModal .form-title { text-style: bold; width: 100%; }
    FormModal .form-subtitle { color: $text-muted; width: 100%; }
    FormModal #form-fields { height: auto; max-height: 62vh; }
    FormModal .form-row { height: auto; width: 100%; margin-top: 1; }
    FormModal .form-label { width: 18; padding: 0 1 0 0; }
    FormModal .form-control { width: 1fr; height: auto; }
    FormModal .form-control Input {
        width: 100%; height: 1; border: none !important; padding: 0 1; background: $boost;
    }
    FormModal .form-control Input:focus { background: $primary 35%; }
    FormModal .form-control Select { width: 100%; height: auto; }
    FormModal .form-control SelectCurrent {
        border: none !important; height: 1; padding: 0 1; background: $boost;
    }
    FormModal .form-control Select:focus > SelectCurrent { background: $primary 35%; }
    FormModal .form-control SelectionList {
        height: auto; max-height: 6; border: none; padding: 0; background: $boost;
    }
    FormModal .form-control SelectionList:focus { background: $primary 20%; }
    FormModal .form-control Checkbox { border: none; padding: 0; height: 1; background: $boost; }
    FormModal .form-control Checkbox:focus { background: $primary 35%; }
    FormModal .form-error { color: $error; width: 100%; height: auto; padding-left: 18; }
    FormModal .form-error.-empty { display: none; }
    FormModal #form-general { color: $error; width: 100%; height: auto; }
    FormModal #form-general.-empty { display: none; }
    FormModal .form-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    FormModal .form-buttons Button { margin-left: 2; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "save", "Save", id="form.save"),
    ]

    def __init__(self, *, title: str | None = None, subtitle: str = "") -> None:
        super().__init__()
        self.form_title = title or self.FORM_TITLE
        self.subtitle = subtitle
        self.errors: dict[str, str] = {}
        self.sending = False
        #: Requests this form sent (tests: nothing is sent when the input is bad).
        self.sent = 0

    # -- to override --------------------------------------------------------------------------

    def compose_fields(self) -> ComposeResult:
        yield from ()

    def collect(self) -> dict[str, Any]:
        """Read the inputs; call :meth:`fail` for each problem. Returns the values."""
        return {}

    async def send(self, values: dict[str, Any]) -> R:
        raise NotImplementedError

    #: Server field names that belong to another field of the form.
    FIELD_ALIASES: ClassVar[dict[str, str]] = {}

    # -- building -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.form_title, classes="form-title", markup=False)
            if self.subtitle:
                yield Label(self.subtitle, classes="form-subtitle", markup=False)
            with VerticalScroll(id="form-fields"):
                yield from self.compose_fields()
            yield Static("", id="form-general", classes="-empty", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button("Cancel \\[esc]", id="form-cancel", compact=True)
                yield Button(
                    f"{self.SAVE_LABEL} \\[ctrl+s]", id="form-save", variant="primary", compact=True
                )

    def field_row(self, name: str, label: str, control: Widget) -> ComposeResult:
        """One labelled field with its error line (``#err-<name>``)."""
        with Horizontal(classes="form-row", id=f"row-{name}"):
            yield Label(label, classes="form-label", markup=False)
            with Vertical(classes="form-control"):
                yield control
        yield Static("", id=f"err-{name}", classes="form-error -empty", markup=False)

    def on_mount(self) -> None:
        self.call_after_refresh(self.focus_first)

    def focus_first(self) -> None:
        """Focus the first field (override to start elsewhere)."""
        for widget in self.query(
            "#form-fields Input, #form-fields Select, #form-fields SelectionList"
        ):
            if widget.focusable:
                widget.focus()
                break

    # -- reading helpers ----------------------------------------------------------------------

    def text(self, name: str) -> str:
        return self.query_one(f"#f-{name}", Input).value

    def choice(self, name: str) -> str | None:
        value = self.query_one(f"#f-{name}", Select).value
        return None if value is Select.NULL else str(value)

    def choices(self, name: str) -> list[str]:
        return [str(v) for v in self.query_one(f"#f-{name}", SelectionList).selected]

    def checked(self, name: str) -> bool:
        return bool(self.query_one(f"#f-{name}", Checkbox).value)

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    # -- errors -------------------------------------------------------------------------------

    def field_names(self) -> set[str]:
        return {str(w.id)[4:] for w in self.query(".form-error") if w.id}

    def show_errors(self, fields: Mapping[str, Sequence[str] | str], general: str = "") -> None:
        """Put messages under their fields (unknown fields and ``general`` at the bottom)."""
        known = self.field_names()
        for widget in self.query(".form-error").results(Static):
            widget.update("")
            widget.add_class("-empty")
        rest: list[str] = []
        first: str | None = None
        for raw_name, messages in fields.items():
            text = messages if isinstance(messages, str) else " ".join(str(m) for m in messages)
            name = self.FIELD_ALIASES.get(raw_name, raw_name)
            if name in known:
                widget = self.query_one(f"#err-{name}", Static)
                widget.update(text)
                widget.remove_class("-empty")
                first = first or name
            elif raw_name in ("non_field_errors", "__all__", "detail"):
                rest.append(text)
            else:
                rest.append(f"{raw_name}: {text}")
        if general:
            rest.insert(0, general)
        box = self.query_one("#form-general", Static)
        box.update("\n".join(rest))
        box.set_class(not rest, "-empty")
        if first is not None:
            self._focus_field(first)

    def _focus_field(self, name: str) -> None:
        for widget in self.query(f"#f-{name}"):
            if widget.focusable:
                widget.focus()
                return

    def error_text(self, name: str) -> str:
        """The error shown under ``name`` ('' when none) — for tests and screen readers."""
        widget = self.query_one(f"#err-{name}", Static)
        return str(widget.content).strip() if not widget.has_class("-empty") else ""

    @property
    def general_error(self) -> str:
        widget = self.query_one("#form-general", Static)
        return "" if widget.has_class("-empty") else str(widget.content).strip()

    # -- actions ------------------------------------------------------------------------------

    def action_cancel(self) -> None:
        if not self.sending:
            self.close_asking(lambda: self.dismiss(None))

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#form-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        if self.sending:
            return
        self.errors = {}
        values = self.collect()
        if self.errors:
            self.show_errors(self.errors)
            return
        self.show_errors({})
        self._send(values)

    @work(exclusive=True, group="form-send", exit_on_error=False)
    async def _send(self, values: dict[str, Any]) -> None:
        self.sending = True
        self.query_one("#form-save", Button).disabled = True
        self.sent += 1
        try:
            result = await self.send(values)
        except Exception as exc:
            report = describe_error(exc)
            if report.fields:
                self.show_errors(report.fields)
            else:
                self.show_errors({}, general=f"{report.title}: {report.message}")
            return
        finally:
            self.sending = False
            if self.is_attached:
                self.query_one("#form-save", Button).disabled = False
        self.dismiss(result)


def run_latest(node: Any, work: Callable[[], Awaitable[Any]], *, group: str) -> Any:
    """Run ``work()`` in a worker that replaces the previous one of ``group`` (a detail that
    follows the cursor). ``work`` is a callable, not a coroutine, so a worker cancelled before
    it started leaves no coroutine behind; a failure reaches the screen's failure handler."""
    return node.run_worker(work, group=group, exclusive=True, exit_on_error=False)
