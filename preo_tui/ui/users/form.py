"""Edit a customer (contract §6: email, phone, first and last name, language).

Checked before sending: an email address's shape, a phone in international format starting
with one of the documented country prefixes (``+45 20 12 34 56`` is accepted and sent as
``+4520123456``), names not empty, a language from the contract's list. Only changed fields are
sent; the server's 400 lands under the fields it names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.widgets import Input, Select

from preo_tui.actions import make
from preo_tui.api.users import User
from preo_tui.ui.editions.fields import (
    CONTRACT_LANGUAGES,
    CONTRACT_PHONE_PREFIXES,
    FieldError,
    FormModal,
    check_email,
    choice_pairs,
    normalize_phone,
)
from preo_tui.ui.formatting import enum_text
from preo_tui.ui.writes import perform


class UserFormModal(FormModal[User]):
    """Edit one customer; dismisses with the updated :class:`User`."""

    FORM_TITLE: ClassVar[str] = "Edit customer"
    DIRTY_WHAT = "The customer"

    def __init__(
        self,
        ctx: Any,
        user: User,
        *,
        choices: dict[str, list[Any]] | None = None,
    ) -> None:
        super().__init__(subtitle=f"{user.full_name or user.email or user.id} · {user.id}")
        self.ctx = ctx
        self.user = user
        self.field_choices = choices or {}

    @property
    def prefixes(self) -> Sequence[str]:
        pairs = choice_pairs(
            self.field_choices,
            "default_country_code",
            {p: p for p in CONTRACT_PHONE_PREFIXES},
        )
        return [value for _, value in pairs]

    def compose_fields(self) -> ComposeResult:
        u = self.user
        yield from self.field_row("email", "Email", Input(u.email or "", id="f-email"))
        yield from self.field_row(
            "phone", "Phone", Input(u.phone or "", id="f-phone", placeholder="+4520123456")
        )
        yield from self.field_row(
            "first_name", "First name", Input(u.first_name or "", id="f-first_name")
        )
        yield from self.field_row(
            "last_name", "Last name", Input(u.last_name or "", id="f-last_name")
        )
        pairs = choice_pairs(self.field_choices, "default_language", CONTRACT_LANGUAGES)
        current = enum_text(u.language) if u.language is not None else None
        if current and current not in {v for _, v in pairs}:
            pairs.insert(0, (f"{current} (not in the list)", current))
        yield from self.field_row(
            "language",
            "Language",
            Select[str](
                pairs, id="f-language", value=current if current else Select.NULL, prompt="—"
            ),
        )

    def collect(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        try:
            values["email"] = check_email(self.text("email"))
        except FieldError as exc:
            self.fail("email", str(exc))
        phone = self.text("phone").strip()
        if phone:
            try:
                values["phone"] = normalize_phone(phone, self.prefixes)
            except FieldError as exc:
                self.fail("phone", str(exc))
        else:
            values["phone"] = None
        for name, label in (("first_name", "first name"), ("last_name", "last name")):
            text = self.text(name).strip()
            if not text:
                self.fail(name, f"The {label} may not be empty.")
            values[name] = text
        language = self.choice("language")
        allowed = {
            v for _, v in choice_pairs(self.field_choices, "default_language", CONTRACT_LANGUAGES)
        }
        if language is None:
            self.fail("language", "Choose a language.")
        elif language not in allowed:
            self.fail("language", "Choose one of " + ", ".join(sorted(allowed)) + ".")
        values["language"] = language
        return values

    def changes(self, values: dict[str, Any]) -> dict[str, Any]:
        u = self.user
        out: dict[str, Any] = {}
        for key, value in values.items():
            old = getattr(u, key, None)
            old = enum_text(old) if key == "language" and old is not None else old
            if value != old:
                out[key] = value
        return out

    async def send(self, values: dict[str, Any]) -> User:
        changes = self.changes(values)
        if not changes:
            return self.user
        user_id = self.user.id

        result: User = await perform(
            self.ctx,
            make(
                "users.update",
                f"edit customer {self.user.email or user_id} ({', '.join(sorted(changes))})",
                id=user_id,
                invalidates=("orders",),
                **changes,
            ),
            self,
        )
        return result
