"""The editions screen's detail pane: the edition's settings and its healthcheck as a
checklist (ok / warning / error per check)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from preo_tui.api.editions import Edition, HealthCheck
from preo_tui.ui import clock
from preo_tui.ui.editions.fields import fmt_when
from preo_tui.ui.formatting import enum_text

LEVEL_MARK: dict[str, tuple[str, str]] = {
    "ok": ("✔ ok     ", "green"),
    "warning": ("▲ warning", "yellow"),
    "error": ("✖ error  ", "bold red"),
}


def edition_flags(edition: Edition) -> str:
    flags = []
    if edition.is_draft:
        flags.append("draft")
    if edition.is_archived:
        flags.append("archived")
    return ", ".join(flags)


def edition_table(edition: Edition) -> Table:
    tz = edition.timezone
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")  # whole values in the detail pane
    rows: list[tuple[str, str]] = [
        ("Edition", edition.full_name or edition.name or edition.id),
        ("Id", edition.id),
        ("Slug", edition.slug or "—"),
        ("Status", enum_text(edition.status) + (f" ({edition_flags(edition)})" if edition_flags(edition) else "")),
        ("Start", fmt_when(edition.start_date, tz)),
        ("End", fmt_when(edition.end_date, tz)),
        ("Time zone", tz or "—"),
        ("Currency", edition.currency or "—"),
        ("Languages", ", ".join(enum_text(x) for x in edition.enabled_languages or []) or "—"),
        ("Default language", enum_text(edition.default_language)),
        ("Phone prefix", edition.default_country_code or "—"),
        ("Tax", enum_text(edition.tax_type)),
        ("Merchant account", edition.merchant_account_id or "—"),
        ("Fee rule", edition.fee_rule_id or "—"),
        ("Receipt email", edition.transaction_receipt_email_id or "—"),
        ("Refund email", edition.refund_confirmation_email_id or "—"),
        ("Event", edition.event_id or "—"),
        ("Created", clock.detail(edition.created, tz)),
        ("Modified", clock.detail(edition.modified, tz)),
    ]  # fmt: skip
    for label, value in rows:
        table.add_row(label, Text(value))
    return table


def health_renderable(health: HealthCheck | None, note: str = "") -> Any:
    if health is None:
        return Text(note or "Healthcheck: loading…", style="dim")
    errors = sum(1 for c in health.checks if enum_text(c.level) == "error")
    warnings = sum(1 for c in health.checks if enum_text(c.level) == "warning")
    if health.ok and not warnings:
        title = Text("Healthcheck: all checks pass", style="bold green")
    elif health.ok:
        title = Text(f"Healthcheck: ok, {warnings} warning(s)", style="bold yellow")
    else:
        title = Text(f"Healthcheck: {errors} error(s), {warnings} warning(s)", style="bold red")
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column()
    for check in health.checks:
        level = enum_text(check.level)
        mark, style = LEVEL_MARK.get(level, (f"? {level}", "magenta"))
        table.add_row(Text(mark, style=style), Text(check.message or check.code or ""))
    parts: list[Any] = [title, table]
    if note:
        parts.append(Text(note, style="dim"))
    return Group(*parts)


class EditionDetail(Vertical):
    """Settings plus the healthcheck checklist."""

    DEFAULT_CSS = """
    EditionDetail { height: auto; }
    EditionDetail #edition-health { margin-top: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static("Nothing selected", id="edition-info")
        yield Static("", id="edition-health")

    def show(self, edition: Edition | None) -> None:
        info = self.query_one("#edition-info", Static)
        health = self.query_one("#edition-health", Static)
        if edition is None:
            info.update("No edition selected")
            health.update("")
            return
        info.update(edition_table(edition))
        health.update(health_renderable(None))

    def show_health(self, health: HealthCheck | None, note: str = "") -> None:
        self.query_one("#edition-health", Static).update(health_renderable(health, note))
