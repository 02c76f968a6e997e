"""The README's key tables and the bindings agree: every key a table lists is bound where
the table says (a renamed or removed binding fails here until the README follows)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding

from preo_tui.ui.app import PreoApp
from preo_tui.ui.base import ListDetailScreen, PreoScreen
from preo_tui.ui.consents.screen import ConsentsScreen
from preo_tui.ui.emails.screen import EmailsScreen
from preo_tui.ui.home.screen import HomeScreen
from preo_tui.ui.imports.wizard import ImportWizardScreen
from preo_tui.ui.orders.screen import OrdersScreen
from preo_tui.ui.refunds.screen import RefundsScreen
from preo_tui.ui.segments.screen import SegmentsScreen
from preo_tui.ui.users.screen import UsersScreen
from preo_tui.ui.webhooks.deliveries import DeliveriesScreen
from preo_tui.ui.webhooks.screen import WebhooksScreen
from preo_tui.ui.widgets.paged_table import PagedTable

README = Path(__file__).resolve().parents[2] / "README.md"
NAMES = {":": "colon", "?": "question_mark", "/": "slash", "space": "space"}
#: keys Textual binds itself
TEXTUAL_KEYS = {"ctrl+p", "escape"}


def table_after(heading: str) -> list[list[str]]:
    """The rows (cells) of the first table after the line ``heading``."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(heading)
    rows: list[list[str]] = []
    for line in lines[start + 1 :]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not set(cells[0]) <= {"-", " "} and cells[0] != "key":
                rows.append(cells)
        elif rows:
            break
    return rows


def keys_of(cell: str) -> list[str]:
    """The single keys named in a key cell (`a`, `ctrl+e`, `enter`); ranges, arrows and
    chords with arrows are prose, not checked."""
    out = []
    for token in re.findall(r"`([^`]+)`", cell):
        if "↑" in token or "–" in token or " " in token:
            continue
        out.append(NAMES.get(token, token))
    return out


def bound_keys(*classes: Any) -> set[str]:
    keys: set[str] = set()
    for cls in classes:
        for klass in cls.__mro__:
            for binding in klass.__dict__.get("BINDINGS", []):
                if isinstance(binding, Binding):
                    keys.update(k.strip() for k in binding.key.split(","))
    return keys


SCREEN_TABLES = [
    ("### Refund queue (`:refunds`)", RefundsScreen),
    ("### Segments (`:segments`)", SegmentsScreen),
]


def test_the_app_wide_key_table_matches_the_bindings() -> None:
    rows = table_after("### Keys")
    assert rows, "README has no key table"
    where_to_classes: dict[str, tuple[Any, ...]] = {
        "everywhere": (PreoApp,),
        "screens": (PreoScreen,),
        "lists": (ListDetailScreen, PagedTable),
        "home": (HomeScreen,),
        "webhooks": (WebhooksScreen,),
        "deliveries": (DeliveriesScreen,),
        "consents": (ConsentsScreen,),
        "segments": (SegmentsScreen,),
        "users": (UsersScreen,),
        "orders": (OrdersScreen,),
        "emails": (EmailsScreen,),
        "import wizard": (ImportWizardScreen,),
    }
    checked = 0
    for key_cell, where, _does in rows:
        # "everywhere but forms" → everywhere; "segments, users" → each of them must bind it
        if where.startswith("everywhere"):
            groups = [where_to_classes["everywhere"]]
        else:
            groups = [where_to_classes[name.strip()] for name in where.split(",")]
        for classes in groups:
            bound = bound_keys(*classes) | TEXTUAL_KEYS
            for key in keys_of(key_cell):
                assert key in bound, f"README lists {key!r} ({where}) but nothing binds it"
                checked += 1
    assert checked >= 10


@pytest.mark.parametrize(("heading", "screen"), SCREEN_TABLES)
def test_a_screen_key_table_matches_its_bindings(heading: str, screen: type) -> None:
    rows = table_after(heading)
    assert rows
    bound = bound_keys(screen, PagedTable)
    for row in rows:
        for key in keys_of(row[0]):
            assert key in bound, (
                f"README ({heading}) lists {key!r}; {screen.__name__} has no such key"
            )


def test_the_check_fails_on_a_key_nobody_binds() -> None:
    assert "z" not in bound_keys(RefundsScreen, PagedTable)
    assert keys_of("`a` then `enter`") == ["a", "enter"]
