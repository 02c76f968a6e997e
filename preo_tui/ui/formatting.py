"""Plain-text formatting of model values shared by the screens: enum values (members or the
plain strings a server sent) and money amounts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def value_of(value: Any) -> str:
    """An enum member or a plain string (an unknown value from the server) as text ("" for
    None)."""
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def enum_text(value: Any) -> str:
    """As ``value_of``, with "—" for None (table cells and detail fields)."""
    return "—" if value is None else value_of(value)


def money(amount: Decimal | float | int | None, currency: str | None = None) -> str:
    """``1,234.50`` (with `` DKK`` when ``currency`` is given); "—" for None."""
    if amount is None:
        return "—"
    text = f"{Decimal(str(amount)):,.2f}"
    return f"{text} {currency}" if currency else text


def article(word: str) -> str:
    """ "a" or "an" before ``word`` as it is said: "an email", "an SMS", "a push"."""
    if not word:
        return "a"
    if word.isupper() and len(word) > 1:  # read letter by letter: "an SMS", "a PDF"
        return "an" if word[0] in "AEFHILMNORSX" else "a"
    return "an" if word[0].lower() in "aeiou" else "a"
