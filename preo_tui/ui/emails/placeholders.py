"""``{{ variable }}`` placeholders of email messages, checked against the template variables
before anything is sent to the server (pure; no Textual).

A placeholder is ``{{ name }}`` or ``{{ name.field }}`` (spaces inside the braces optional). A
name the message's template variables do not list is unknown; an opening ``{{`` that is not
closed, or braces around something that is not a variable name, is malformed. Both refuse the
save with the field that holds them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")
_ANY_OPEN = re.compile(r"\{\{(.*?)(\}\}|$)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class PlaceholderProblem:
    field: str
    message: str


def placeholders(text: str) -> list[str]:
    """The variable names used in ``text``, in order (repeats kept)."""
    return [m.group(1) for m in PLACEHOLDER.finditer(text or "")]


def check_text(field: str, text: str, known: Iterable[str]) -> list[PlaceholderProblem]:
    """Problems with the placeholders of one text."""
    names = set(known)
    problems: list[PlaceholderProblem] = []
    for m in _ANY_OPEN.finditer(text or ""):
        inner, close = m.group(1), m.group(2)
        if not close:
            problems.append(
                PlaceholderProblem(field, f"'{{{{{inner[:20]}' is not closed with '}}}}'.")
            )
            continue
        full = m.group(0)
        good = PLACEHOLDER.fullmatch(full)
        if good is None:
            problems.append(
                PlaceholderProblem(field, f"'{full[:40]}' is not a variable placeholder.")
            )
        elif good.group(1) not in names:
            problems.append(
                PlaceholderProblem(
                    field,
                    f"Unknown placeholder {{{{ {good.group(1)} }}}}: not a template variable.",
                )
            )
    return problems


def check_fields(texts: Mapping[str, str], known: Iterable[str]) -> dict[str, list[str]]:
    """``{field: [messages]}`` for every text with a placeholder problem (empty when fine)."""
    names = list(known)
    out: dict[str, list[str]] = {}
    for field, text in texts.items():
        for problem in check_text(field, text, names):
            out.setdefault(problem.field, []).append(problem.message)
    return out
