"""Names first (issue 15): the lists' own column specs give names (and titles) the room before
the other columns, at the widths their tables have at 80 and 160 columns. The webhooks and files
lists are also checked on screen (tests/ui/test_webhooks.py, test_files.py)."""

from __future__ import annotations

from collections.abc import Sequence

from preo_tui.ui.consents.screen import ConsentsScreen
from preo_tui.ui.editions.screen import EditionsScreen
from preo_tui.ui.emails.screen import EmailsScreen
from preo_tui.ui.webhooks.screen import WebhooksScreen
from preo_tui.ui.widgets.columns import SCROLLBAR_ROOM, ColumnSpec, column_widths


def room(table_width: int, specs: Sequence[ColumnSpec]) -> int:
    """The cells of content a table of ``table_width`` has (one cell of padding each side of
    every column, the scrollbar's room), as ``PagedTable`` counts them (no mark column)."""
    return table_width - 2 * len(specs) - SCROLLBAR_ROOM


def test_an_email_title_takes_the_room_before_its_type() -> None:
    specs = EmailsScreen.COLUMNS
    natural = {"title": 33, "type": len("refund_confirmation"), "where": 12}
    widths = column_widths(specs, natural, room(80, specs))  # the list spans 80 columns
    assert widths["type"] == 8  # "campaign", "reminder"; longer types are cut first
    assert widths["title"] == 30  # was 24 while the type column kept 14
    assert sum(widths.values()) == room(80, specs)


def test_edition_names_are_whole_at_160_columns() -> None:
    specs = EditionsScreen.COLUMNS
    natural = {"name": len("Winter 2027"), "full_name": len("Nordlys Festival 2027"), "flags": 7}
    widths = column_widths(specs, natural, room(96, specs))  # the list pane at 160x48
    assert widths["name"] >= len("Winter 2027")
    assert widths["full_name"] >= len("Nordlys Festival 2027")
    assert sum(widths.values()) <= room(96, specs)  # nothing past the right edge


def test_webhook_names_before_url_and_events_at_80_columns() -> None:
    specs = WebhooksScreen.COLUMNS
    natural = {"name": len("Legacy CRM (unreachable)"), "url": 45, "events": 16}
    widths = column_widths(specs, natural, room(80, specs))
    assert widths["name"] == len("Legacy CRM (unreachable)")
    assert widths["url"] >= 12 and widths["events"] >= 8
    assert sum(widths.values()) == room(80, specs)


def test_consent_texts_fit_at_80_columns_and_names_stay_whole() -> None:
    specs = ConsentsScreen.COLUMNS
    natural = {"name": len("Partner offers"), "text": 45}
    widths = column_widths(specs, natural, room(80, specs))
    assert widths["name"] == len("Partner offers")
    assert widths["text"] >= 24
    assert sum(widths.values()) <= room(80, specs)  # the row no longer runs past the edge
