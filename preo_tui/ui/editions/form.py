"""Create, edit and duplicate an edition (contract §3).

The choice fields (time zone, languages, country code, tax type) come from the edition's
``field-choices`` (the contract's lists when a server has none). Before anything is sent the
form checks the name, the slug pattern, that the dates parse and that the end is not before
the start, and that the default language is enabled; a server 400 lands on the same fields.

Creating needs an ``event_id`` and the contract has no events endpoint: a new edition is created
in the event of the edition it was started from (the one under the cursor), which is what an
operator setting up "next year" wants.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Select, SelectionList
from textual.widgets.selection_list import Selection

from preo_tui.actions import make
from preo_tui.api.editions import Edition
from preo_tui.ui.editions.fields import (
    CONTRACT_LANGUAGES,
    CONTRACT_PHONE_PREFIXES,
    CONTRACT_TAX_TYPES,
    DATE_HINT,
    FieldError,
    FormModal,
    check_slug,
    choice_pairs,
    fmt_input_when,
    parse_when,
)
from preo_tui.ui.formatting import enum_text
from preo_tui.ui.writes import perform

Mode = Literal["create", "edit"]
FieldChoices = dict[str, list[Any]]

_COUNTRY_FALLBACK = {p: p for p in CONTRACT_PHONE_PREFIXES}
_TZ_FALLBACK = {"UTC": "UTC", "Europe/Copenhagen": "Europe/Copenhagen"}


def derive_full_name(full_name: str, old_name: str, new_name: str) -> str:
    """The full name after a rename: the old name inside it becomes the new one."""
    if not new_name or old_name not in full_name:
        return full_name
    return full_name.replace(old_name, new_name, 1)


def check_dates(
    form: FormModal[Any], start_text: str, end_text: str, tz: str | None
) -> tuple[datetime | None, datetime | None]:
    """Parse both date fields, recording errors on the form; end must not precede start."""
    start = end = None
    try:
        start = parse_when(start_text, tz)
    except FieldError as exc:
        form.fail("start_date", str(exc))
    try:
        end = parse_when(end_text, tz, end_of_day=True)
    except FieldError as exc:
        form.fail("end_date", str(exc))
    if start is not None and end is not None and end < start:
        form.fail("end_date", "The end is before the start.")
    return start, end


class EditionFormModal(FormModal[Edition]):
    """Create a new edition, or edit one."""

    DIRTY_WHAT = "The edition"

    def __init__(
        self,
        ctx: Any,
        *,
        mode: Mode,
        edition: Edition | None = None,
        choices: FieldChoices | None = None,
        organization_id: str = "",
        event_id: str = "",
    ) -> None:
        base = edition
        if mode == "create":
            subtitle = f"in the event of {base.full_name or base.name}" if base else ""
        else:
            subtitle = f"{base.full_name or base.name} · {base.id}" if base else ""
        super().__init__(
            title="New edition" if mode == "create" else "Edit edition", subtitle=subtitle
        )
        self.ctx = ctx
        self.mode: Mode = mode
        self.edition = edition
        self.field_choices = choices or {}
        self.initial_texts: dict[str, str] = {}
        self.organization_id = organization_id or (
            (edition.organization_id or "") if edition else ""
        )
        self.event_id = event_id or ((edition.event_id or "") if edition else "")

    def compose_fields(self) -> ComposeResult:
        e = self.edition if self.mode == "edit" else None
        # A new edition starts from the settings of the edition it was started from.
        src = self.edition
        tz = (src.timezone if src else None) or "UTC"
        yield from self.field_row(
            "name", "Name", Input(e.name or "" if e else "", id="f-name", placeholder="2027")
        )
        self.full_name_auto = e.full_name or "" if e else ""
        yield from self.field_row(
            "full_name",
            "Full name",
            Input(
                self.full_name_auto,
                id="f-full_name",
                placeholder="event and name, e.g. Nordlys Festival 2027",
            ),
        )
        yield from self.field_row(
            "slug",
            "Slug",
            Input(
                e.slug or "" if e else "",
                id="f-slug",
                placeholder="generated from the name" if e is None else "",
            ),
        )
        start = fmt_input_when(e.start_date, tz) if e else ""
        end = fmt_input_when(e.end_date, tz) if e else ""
        self.initial_texts = {"start_date": start, "end_date": end}
        yield from self.field_row(
            "start_date", "Start", Input(start, id="f-start_date", placeholder=DATE_HINT)
        )
        yield from self.field_row(
            "end_date", "End", Input(end, id="f-end_date", placeholder=DATE_HINT)
        )
        yield from self.field_row("timezone", "Time zone", self._select("timezone", tz))
        country = (src.default_country_code if src else None) or "+45"
        yield from self.field_row(
            "default_country_code", "Phone prefix", self._select("default_country_code", country)
        )
        lang = enum_text(src.default_language) if src and src.default_language else "en"
        yield from self.field_row(
            "default_language", "Default language", self._select("default_language", lang)
        )
        enabled = [enum_text(x) for x in (src.enabled_languages or [])] if src else [lang]
        pairs = choice_pairs(self.field_choices, "enabled_languages", CONTRACT_LANGUAGES)
        yield from self.field_row(
            "enabled_languages",
            "Languages",
            SelectionList[str](
                *[Selection(label, value, value in enabled) for label, value in pairs],
                id="f-enabled_languages",
            ),
        )
        tax = enum_text(src.tax_type) if src and src.tax_type else "vat"
        yield from self.field_row("tax_type", "Tax", self._select("tax_type", tax))
        if e is not None:
            yield from self.field_row(
                "is_draft",
                "Draft",
                Checkbox("draft (not on sale)", bool(e.is_draft), id="f-is_draft"),
            )
            yield from self.field_row(
                "is_archived",
                "Archived",
                Checkbox("archived (hidden)", bool(e.is_archived), id="f-is_archived"),
            )

    @on(Input.Changed, "#f-name")
    def _name_changed(self, event: Input.Changed) -> None:
        """Renaming carries into the full name ("Nordlys 2027" → "Nordlys 2027 edition")
        unless the operator has typed a full name of their own."""
        e = self.edition if self.mode == "edit" else None
        if e is None or not e.full_name or not e.name:
            return
        full = self.query_one("#f-full_name", Input)
        if full.value != self.full_name_auto:
            return  # typed by the operator: theirs
        self.full_name_auto = derive_full_name(e.full_name, e.name, event.value.strip())
        full.value = self.full_name_auto

    def _select(self, name: str, current: str | None) -> Select[str]:
        fallback = {
            "timezone": _TZ_FALLBACK,
            "default_country_code": _COUNTRY_FALLBACK,
            "default_language": CONTRACT_LANGUAGES,
            "tax_type": CONTRACT_TAX_TYPES,
        }[name]
        pairs = choice_pairs(self.field_choices, name, fallback)
        values = {v for _, v in pairs}
        if current and current not in values:
            pairs.insert(0, (current, current))
        return Select[str](
            pairs,
            id=f"f-{name}",
            allow_blank=False,
            value=current if current else pairs[0][1],
        )

    def collect(self) -> dict[str, Any]:
        name = self.text("name").strip()
        if not name:
            self.fail("name", "A name is required.")
        try:
            slug = check_slug(self.text("slug"))
        except FieldError as exc:
            self.fail("slug", str(exc))
            slug = ""
        if self.mode == "edit" and not slug:
            self.fail("slug", "A slug is required.")
        tz = self.choice("timezone")
        start, end = check_dates(self, self.text("start_date"), self.text("end_date"), tz)
        default_language = self.choice("default_language")
        enabled = self.choices("enabled_languages")
        if not enabled:
            self.fail("enabled_languages", "Enable at least one language.")
        elif default_language and default_language not in enabled:
            self.fail("enabled_languages", "Must include the default language.")
        full_name = self.text("full_name").strip()
        values: dict[str, Any] = {
            "name": name,
            "full_name": full_name or None,
            "start_date": start,
            "end_date": end,
            "timezone": tz,
            "default_country_code": self.choice("default_country_code"),
            "default_language": default_language,
            "enabled_languages": enabled,
            "tax_type": self.choice("tax_type"),
        }
        if slug:
            values["slug"] = slug
        if self.mode == "edit":
            values["is_draft"] = self.checked("is_draft")
            values["is_archived"] = self.checked("is_archived")
        return values

    async def send(self, values: dict[str, Any]) -> Edition:
        if self.mode == "create":
            body = {k: v for k, v in values.items() if v is not None}

            result: Edition = await perform(
                self.ctx,
                make(
                    "editions.create",
                    f"create edition {values['name']}",
                    organization_id=self.organization_id,
                    event_id=self.event_id,
                    **body,
                ),
                self,
            )
            return result
        assert self.edition is not None
        changes = self._changes(values)
        edition_id = self.edition.id

        updated: Edition = await perform(
            self.ctx,
            make(
                "editions.update",
                f"edit edition {self.edition.name} ({', '.join(changes) or 'no changes'})",
                id=edition_id,
                **changes,
            ),
            self,
        )
        return updated

    def _changes(self, values: dict[str, Any]) -> dict[str, Any]:
        """Only what differs from the edition (dates compared as instants)."""
        e = self.edition
        assert e is not None
        changes: dict[str, Any] = {}
        for key, value in values.items():
            if key in ("start_date", "end_date") and (
                self.text(key).strip() == self.initial_texts.get(key, "")
            ):
                continue  # not touched: the shown text is rounded to the minute
            old = getattr(e, key, None)
            if key == "enabled_languages":
                old = [enum_text(x) for x in (old or [])]
            elif key in ("default_language", "tax_type"):
                old = enum_text(old) if old is not None else None
            if value != old:
                changes[key] = value
        return changes


class DuplicateEditionModal(FormModal[Edition]):
    """Duplicate an edition as a draft: new name, slug and dates (all optional)."""

    FORM_TITLE: ClassVar[str] = "Duplicate edition"
    DIRTY_WHAT = "The new edition"
    SAVE_LABEL: ClassVar[str] = "Duplicate"

    def __init__(self, ctx: Any, edition: Edition) -> None:
        super().__init__(subtitle=f"copy of {edition.full_name or edition.name} (becomes a draft)")
        self.ctx = ctx
        self.edition = edition

    def compose_fields(self) -> ComposeResult:
        yield from self.field_row(
            "name", "New name", Input("", id="f-name", placeholder=f"{self.edition.name} (copy)")
        )
        yield from self.field_row(
            "slug", "Slug", Input("", id="f-slug", placeholder="generated from the name")
        )
        yield from self.field_row(
            "start_date", "Start", Input("", id="f-start_date", placeholder=DATE_HINT)
        )
        yield from self.field_row(
            "end_date", "End", Input("", id="f-end_date", placeholder=DATE_HINT)
        )

    def collect(self) -> dict[str, Any]:
        try:
            slug = check_slug(self.text("slug"))
        except FieldError as exc:
            self.fail("slug", str(exc))
            slug = ""
        start, end = check_dates(
            self, self.text("start_date"), self.text("end_date"), self.edition.timezone
        )
        # One date given: check it against the other date the copy keeps from the original.
        old_start, old_end = self.edition.start_date, self.edition.end_date
        if start is not None and end is None and old_end is not None and old_end < start:
            self.fail("start_date", "After the edition's end date: give a new end too.")
        if end is not None and start is None and old_start is not None and end < old_start:
            self.fail("end_date", "Before the edition's start date: give a new start too.")
        return {
            "name": self.text("name").strip() or None,
            "slug": slug or None,
            "start_date": start,
            "end_date": end,
        }

    async def send(self, values: dict[str, Any]) -> Edition:
        source = self.edition.id

        result: Edition = await perform(
            self.ctx,
            make(
                "editions.duplicate",
                f"duplicate edition {self.edition.name}",
                id=source,
                **values,
            ),
            self,
        )
        return result
