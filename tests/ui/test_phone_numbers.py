"""Phone numbers are checked against their country's lengths (phonenumbers metadata)."""

from __future__ import annotations

import re

import pytest

from preo_tui.ui.editions.fields import FieldError, normalize_phone


@pytest.mark.parametrize(
    ("text", "expected"),
    [("+45 20 12 34 56", "+4520123456"), ("+46 70 123 45 67", "+46701234567")],
)
def test_numbers_of_the_right_length_pass(text: str, expected: str) -> None:
    assert normalize_phone(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("+45 2012 345", "Too few digits for +45 (DK): 7 after +45 (it takes 8 digits)"),
        ("+45 2012 345 678", "Too many digits for +45 (DK)"),
        ("+46 70123", "Too few digits for +46 (SE)"),
    ],
)
def test_a_number_that_cannot_exist_in_its_country_is_refused(text: str, message: str) -> None:
    with pytest.raises(FieldError, match=re.escape(message)):
        normalize_phone(text)
