"""SMS length arithmetic (pure; no Textual): characters, encoding and message parts.

A text made only of GSM 03.38 characters is sent GSM-7: 160 septets in a single part, 153 per
part once concatenated (7 go to the concatenation header). The characters of the GSM-7
extension table (``^ { } \\ [ ~ ] | €`` and form feed) take two septets (an escape plus the
character) and are never split between two parts. Any other character makes the whole text
UCS-2: 70 UTF-16 code units in a single part, 67 per concatenated part; a character outside
the Basic Multilingual Plane (most emoji) takes two code units and is never split either.

The campaign's limit is the contract's: an SMS body holds at most :data:`SMS_MAX_CHARACTERS`
characters (612 = 4 concatenated GSM-7 parts). A UCS-2 text fills the same 4 parts with far
fewer characters (4 × 67 = 268 code units): its limit is :data:`UCS2_MAX_UNITS`, and the counter
shows the limit of the text's own encoding (never "78/612 · UCS-2").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: The contract's maximum length of an SMS campaign body, in characters.
SMS_MAX_CHARACTERS = 612

GSM7_SINGLE = 160
GSM7_MULTI = 153
UCS2_SINGLE = 70
UCS2_MULTI = 67
#: An SMS campaign is at most 4 parts: 612 GSM-7 septets, 268 UCS-2 code units.
SMS_MAX_PARTS = 4
UCS2_MAX_UNITS = SMS_MAX_PARTS * UCS2_MULTI

#: GSM 03.38 basic character set (the escape code itself excluded).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: GSM 03.38 extension table: each costs two septets.
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True, slots=True)
class SmsCount:
    """How a text is sent as SMS."""

    #: characters as the server counts them (``len``), checked against the 612 maximum
    characters: int
    encoding: Encoding
    #: septets (GSM-7, extended characters counted twice) or UTF-16 code units (UCS-2)
    units: int
    #: number of SMS parts (0 for an empty text)
    parts: int
    #: capacity of one part in this layout (160/153 or 70/67)
    per_part: int
    #: units still free in the last part before another part is needed
    remaining: int
    #: characters that force UCS-2 (distinct, in order of appearance)
    non_gsm: tuple[str, ...] = ()

    @property
    def limit(self) -> int:
        """The most this text's encoding holds: 612 characters (GSM-7), 268 (UCS-2)."""
        return SMS_MAX_CHARACTERS if self.encoding == "GSM-7" else UCS2_MAX_UNITS

    @property
    def too_long(self) -> bool:
        if self.encoding == "UCS-2" and self.units > UCS2_MAX_UNITS:
            return True
        return self.characters > SMS_MAX_CHARACTERS

    @property
    def over_by(self) -> int:
        if self.encoding == "UCS-2":
            return max(0, self.units - UCS2_MAX_UNITS, self.characters - SMS_MAX_CHARACTERS)
        return max(0, self.characters - SMS_MAX_CHARACTERS)

    def summary(self) -> str:
        """One line for the editor, e.g. ``142/612 characters · GSM-7 · 1 part (18 left)``;
        a UCS-2 text counts against 268."""
        part_word = "part" if self.parts == 1 else "parts"
        shown = self.units if self.encoding == "UCS-2" else self.characters
        text = f"{shown}/{self.limit} characters · {self.encoding} · {self.parts} {part_word}"
        if self.parts:
            text += f" ({self.remaining} left in this part)"
        if self.too_long:
            text += f" · {self.over_by} over the maximum"
        return text


def _unit_costs(text: str) -> tuple[Encoding, list[int], tuple[str, ...]]:
    non_gsm: list[str] = []
    for ch in text:
        if ch not in GSM7_BASIC and ch not in GSM7_EXTENDED and ch not in non_gsm:
            non_gsm.append(ch)
    if not non_gsm:
        return "GSM-7", [2 if ch in GSM7_EXTENDED else 1 for ch in text], ()
    return "UCS-2", [2 if ord(ch) > 0xFFFF else 1 for ch in text], tuple(non_gsm)


def _parts(costs: list[int], capacity: int) -> tuple[int, int]:
    """Greedy split without breaking a character: (parts, units used in the last part)."""
    parts, used = 1, 0
    for cost in costs:
        if used + cost > capacity:
            parts += 1
            used = 0
        used += cost
    return parts, used


def count_sms(text: str) -> SmsCount:
    """Characters, encoding and parts of ``text``."""
    encoding, costs, non_gsm = _unit_costs(text)
    units = sum(costs)
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if encoding == "GSM-7" else (UCS2_SINGLE, UCS2_MULTI)
    if units == 0:
        return SmsCount(0, encoding, 0, 0, single, single, non_gsm)
    if units <= single:
        return SmsCount(len(text), encoding, units, 1, single, single - units, non_gsm)
    parts, last = _parts(costs, multi)
    return SmsCount(len(text), encoding, units, parts, multi, multi - last, non_gsm)
