"""The SMS counter (preo_tui.ui.sms): GSM-7 and UCS-2 parts, extended characters, the maximum."""

from __future__ import annotations

import pytest

from preo_tui.ui.sms import SMS_MAX_CHARACTERS, count_sms


def test_empty_text_has_no_part() -> None:
    c = count_sms("")
    assert (c.characters, c.units, c.parts, c.encoding) == (0, 0, 0, "GSM-7")
    assert not c.too_long


@pytest.mark.parametrize(
    ("length", "parts", "remaining"),
    [(1, 1, 159), (160, 1, 0), (161, 2, 153 * 2 - 161), (306, 2, 0), (307, 3, 152), (612, 4, 0)],
)
def test_gsm7_boundaries(length: int, parts: int, remaining: int) -> None:
    c = count_sms("a" * length)
    assert c.encoding == "GSM-7"
    assert c.parts == parts
    assert c.remaining == remaining
    assert c.per_part == (160 if parts == 1 else 153)


def test_extended_characters_count_double() -> None:
    c = count_sms("€" * 80)
    assert c.encoding == "GSM-7"
    assert (c.characters, c.units, c.parts) == (80, 160, 1)
    c = count_sms("a" * 159 + "{")
    assert (c.units, c.parts) == (161, 2)


def test_an_escape_pair_is_never_split_between_parts() -> None:
    # 152 plain characters then a two-septet one: it does not fit the first part's last septet.
    c = count_sms("a" * 152 + "€" + "a" * 10)
    assert c.units == 164
    assert c.parts == 2
    assert c.remaining == 153 - 12


def test_gsm_accents_stay_gsm7() -> None:
    c = count_sms("Hej Søren, vi ses på Nordlys! Åbent fra 14:00. ÄÖÜ äöü é è ñ ¿¡ @£$")
    assert c.encoding == "GSM-7"
    assert c.non_gsm == ()


@pytest.mark.parametrize(
    ("length", "parts", "remaining"), [(70, 1, 0), (71, 2, 63), (134, 2, 0), (135, 3, 66)]
)
def test_ucs2_boundaries(length: int, parts: int, remaining: int) -> None:
    c = count_sms("ł" * length)
    assert c.encoding == "UCS-2"
    assert c.non_gsm == ("ł",)
    assert (c.parts, c.remaining) == (parts, remaining)


def test_one_non_gsm_character_switches_the_whole_text() -> None:
    text = "a" * 100 + "ę"
    assert count_sms("a" * 100).parts == 1
    c = count_sms(text)
    assert c.encoding == "UCS-2"
    assert c.parts == 2


def test_emoji_take_two_units_and_are_not_split() -> None:
    c = count_sms("🎉")
    assert (c.characters, c.units, c.encoding) == (1, 2, "UCS-2")
    c = count_sms("a" * 66 + "🎉" + "a" * 5)
    assert c.units == 73
    assert c.parts == 2
    assert c.remaining == 67 - 7


def test_maximum_and_summary() -> None:
    ok = count_sms("a" * SMS_MAX_CHARACTERS)
    assert not ok.too_long
    assert ok.summary() == "612/612 characters · GSM-7 · 4 parts (0 left in this part)"
    over = count_sms("a" * 615)
    assert over.too_long and over.over_by == 3
    assert over.summary().endswith("3 over the maximum")
    assert count_sms("hi").summary() == "2/612 characters · GSM-7 · 1 part (158 left in this part)"


def test_a_ucs2_text_counts_against_its_own_limit() -> None:
    c = count_sms("Hej på dig ł")  # ł is not GSM-7
    assert c.encoding == "UCS-2"
    assert c.summary().startswith("12/268 characters · UCS-2")
    assert not c.too_long
    long = count_sms("x" * 268 + "ł")
    assert long.too_long and long.over_by == 1


def test_article() -> None:
    from preo_tui.ui.formatting import article

    assert [article(w) for w in ("email", "sms", "SMS", "push", "pass_push", "any")] == [
        "an",
        "a",
        "an",
        "a",
        "a",
        "an",
    ]
