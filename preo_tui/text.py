"""The one text-safety boundary: untrusted text made terminal-safe (pure, no Textual).

Everything a server or a file sends (names, comments, e-mail bodies, CSV cells, error
messages) passes through :func:`safe_text` once, where it enters the program:

- the client's models (``preo_tui.api._base.PreoModel`` runs :func:`safe_data` over the decoded
  JSON, nested and unknown fields included), so every widget downstream gets safe text;
- the client's errors (``PreoError`` messages, field messages and decoded bodies);
- file content (CSV cells, import previews) through :func:`safe_cell` / :func:`safe_text`.

What is replaced by a visible stand-in (never passed through, never silently dropped):

- C0 controls U+0000..U+001F and DEL U+007F → the Unicode "control pictures" (``␛`` for ESC,
  ``␇`` for BEL, ``␡`` for DEL ...), except newline and tab in multi-line text;
  a carriage return in multi-line text is dropped only as part of ``\\r\\n``;
- C1 controls U+0080..U+009F (``\\x9b`` is a one-byte CSI) → ``\\x9b`` as four visible characters;
- bidi overrides/isolates/marks (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C) and the
  line/paragraph separators U+2028/U+2029 → ``\\u202e`` as visible characters.

The result contains only printable characters (plus ``\\n``/``\\t`` when multi-line), so an ESC
sequence such as OSC 52 (``ESC ] 52 ; c ; ... BEL``) reaches the screen as harmless text. The
function is idempotent: its output passes through it unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
_UNSAFE_ANY = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_UNSAFE_MULTI = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")

#: JSON keys whose text may span lines (comments, bodies, descriptions): newline and tab kept.
MULTILINE_KEYS = frozenset(
    {
        "body",
        "comment",
        "comments",
        "condition",
        "decision_comment",
        "content",
        "description",
        "detail",
        "html",
        "internal_note",
        "message",
        "note",
        "notes",
        "preview",
        "reason_text",
        "rejection_reason",
        "response_body",
        "sms_body",
        "summary",
        "text",
    }
)


def _picture(ch: str) -> str:
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"  # ␡
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def safe_text(value: str, *, multiline: bool = False) -> str:
    """``value`` with every control character, ESC sequence introducer and bidi override shown
    as a visible escape. ``multiline`` keeps ``\\n`` and ``\\t`` (``\\r\\n`` becomes ``\\n``)."""
    if multiline:
        if "\r\n" in value:
            value = value.replace("\r\n", "\n")
        pattern = _UNSAFE_MULTI
    else:
        pattern = _UNSAFE_ANY
    if pattern.search(value) is None:
        return value
    return pattern.sub(lambda m: _picture(m.group()), value)


def safe_cell(value: str) -> str:
    """A single-line value (a CSV cell, a table cell): no newline or tab survives."""
    return safe_text(value, multiline=False)


def is_safe(value: str, *, multiline: bool = False) -> bool:
    """True when ``value`` holds nothing :func:`safe_text` would replace."""
    pattern = _UNSAFE_MULTI if multiline else _UNSAFE_ANY
    return pattern.search(value) is None


def safe_data(value: Any, *, key: str | None = None) -> Any:
    """Every string inside decoded JSON (dict keys included) made safe; values under a key in
    :data:`MULTILINE_KEYS` keep newlines and tabs. Other values are returned unchanged."""
    if isinstance(value, str):
        return safe_text(value, multiline=key in MULTILINE_KEYS)
    if isinstance(value, Mapping):
        return {
            (safe_text(k) if isinstance(k, str) else k): safe_data(
                v, key=k if isinstance(k, str) else None
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [safe_data(v, key=key) for v in value]
    if isinstance(value, tuple):
        return tuple(safe_data(v, key=key) for v in value)
    return value


__all__ = ["MULTILINE_KEYS", "is_safe", "safe_cell", "safe_data", "safe_text"]
