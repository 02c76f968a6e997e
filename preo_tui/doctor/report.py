"""Doctor's report: what was checked, what held, what failed, and what to change.

An *assumption* is one thing the client takes for granted about a server: that an operation
lives at its path, that its answer decodes, that the fields the model names arrive, that a
list has the paging envelope, that errors have their contract shape. Each one checked either
held or failed; one that could not be checked (forbidden, nothing to read, a write without
``--write``) is counted apart. The exit status is non-zero when any assumption failed: all but
one path are [ours] (the purchase refund path is the reference's), so every failure is one of
ours or a departure from the published reference — either way the operator must know.

Everything a server sent (detail messages, enum values, field names) is made terminal-safe
here, when a finding is recorded: no control character or escape sequence reaches a terminal
through a report, its JSON or the app's doctor screen.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

Outcome = Literal["held", "failed", "unchecked", "info"]

#: Operation states, in the order the table sorts them.
STATES = ("missing", "failed", "refused", "forbidden", "ok", "skipped", "not checked")

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(text: object, limit: int = 300) -> str:
    """Server text made terminal-safe: control characters (escape sequences start with one)
    become spaces, other unprintable format characters are dropped, and it is kept short."""
    value = _CONTROL.sub(" ", str(text)).replace("\n", " ").replace("\t", " ")
    value = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cf", "Co", "Cs"))
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass
class Finding:
    """One assumption and what became of it."""

    check: str
    outcome: Outcome
    message: str

    def __post_init__(self) -> None:
        self.message = safe(self.message)


@dataclass
class OperationResult:
    key: str
    summary: str
    method: str
    path: str
    mark: str
    writes: bool
    state: str = "not checked"
    http_status: int | None = None
    #: The profile overrides this operation's method and path.
    overridden: bool = False
    findings: list[Finding] = field(default_factory=list)
    unknown_fields: list[str] = field(default_factory=list)
    missing_fields: list[str] = field(default_factory=list)
    enum_values: list[str] = field(default_factory=list)
    #: ``"GET /v1/consent"``: a neighbour path that answers as this operation should.
    suggestion: str | None = None

    def add(self, check: str, outcome: Outcome, message: str = "") -> None:
        self.findings.append(Finding(check, outcome, message))

    @property
    def failed(self) -> bool:
        return any(f.outcome == "failed" for f in self.findings)

    def note(self) -> str:
        """One line for the table: what failed, else what is worth knowing."""
        parts = [f.message for f in self.findings if f.outcome == "failed" and f.message]
        if not parts:
            parts = [f.message for f in self.findings if f.outcome == "info" and f.message]
        if not parts:
            parts = [f.message for f in self.findings if f.outcome == "unchecked" and f.message]
        if self.suggestion:
            parts.append(f"answers at {self.suggestion}")
        return "; ".join(parts)


@dataclass
class Report:
    server: str
    environment: str
    started: datetime
    write: bool = False
    signed_in_as: str | None = None
    operations: list[OperationResult] = field(default_factory=list)
    general: list[Finding] = field(default_factory=list)
    #: Override entries the client could not apply (unknown operation, bad path).
    override_problems: list[str] = field(default_factory=list)

    def operation(self, key: str) -> OperationResult:
        return next(r for r in self.operations if r.key == key)

    def findings(self) -> list[Finding]:
        return [f for r in self.operations for f in r.findings] + self.general

    def count(self, outcome: Outcome) -> int:
        return sum(1 for f in self.findings() if f.outcome == outcome)

    @property
    def held(self) -> int:
        return self.count("held")

    @property
    def failed(self) -> int:
        return self.count("failed") + len(self.override_problems)

    @property
    def unchecked(self) -> int:
        return self.count("unchecked")

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    @property
    def suggestions(self) -> dict[str, str]:
        return {r.key: r.suggestion for r in self.operations if r.suggestion}

    def override_toml(self, profile: str) -> str:
        """The ``[profiles.<profile>.operations]`` table that applies every suggestion."""
        if not self.suggestions:
            return ""
        lines = [f"[profiles.{profile}.operations]"]
        lines += [f'"{key}" = "{value}"' for key, value in self.suggestions.items()]
        return "\n".join(lines)

    def summary_line(self) -> str:
        total = self.held + self.failed
        text = f"{self.held} of {total} assumptions held"
        if self.failed:
            text += f", {self.failed} failed"
        if self.unchecked:
            text += f" ({self.unchecked} not checked)"
        return text + "."

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["started"] = self.started.isoformat()
        data["held"] = self.held
        data["failed"] = self.failed
        data["unchecked"] = self.unchecked
        data["exit_code"] = self.exit_code
        data["suggested_overrides"] = self.suggestions
        return data

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False)


_STATE_STYLE = {
    "ok": "green",
    "missing": "bold red",
    "failed": "bold red",
    "refused": "yellow",
    "forbidden": "yellow",
    "skipped": "dim",
    "not checked": "dim",
}


_OUTCOME_STYLE = {"held": "green", "failed": "bold red", "unchecked": "dim", "info": "cyan"}


def render(
    report: Report,
    *,
    profile: str | None = None,
    only_problems: bool = False,
    all_rows: bool = False,
) -> RenderableType:
    """The report as rich renderables (the terminal table, and the app's doctor screen)."""
    table = Table(
        title=f"{report.server} ({report.environment})",
        title_justify="left",
        expand=False,
        show_lines=False,
        header_style="bold",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("Operation", min_width=16, overflow="fold")
    table.add_column("Path", min_width=16, overflow="fold")
    table.add_column("Result", no_wrap=True)
    table.add_column("Notes", min_width=14, overflow="fold")
    rows = report.operations
    if only_problems:
        rows = [r for r in rows if r.failed or r.state in ("missing", "failed")]
    elif not all_rows:  # the operations doctor did not call are counted below, not listed
        rows = [r for r in rows if r.state != "not checked"]
    uncalled = [r for r in report.operations if r.state == "not checked"]
    for row in rows:
        state = row.state
        if row.state == "ok" and row.failed:
            state = "failed"
        label = Text(row.key)
        if row.overridden:
            label.append(" *", style="bold cyan")
        path = Text(f"{row.method} {row.path}")
        if row.mark == "doc":
            path.append(" [doc]", style="dim")
        table.add_row(label, path, Text(state, style=_STATE_STYLE.get(state, "")), row.note())
    parts: list[RenderableType] = [table]
    general = Table.grid(padding=(0, 1))
    general.add_column(no_wrap=True)
    general.add_column(overflow="fold")
    for finding in report.general:
        general.add_row(
            Text(finding.outcome, style=_OUTCOME_STYLE[finding.outcome]), finding.message
        )
    if uncalled and not all_rows:
        writes = sum(1 for r in uncalled if r.writes)
        text = f"{len(uncalled)} operations not called"
        if writes:
            text += f" ({writes} writes: " + (
                "no safe round trip for them)" if report.write else "see --write)"
            )
        general.add_row(Text("unchecked", style="dim"), text)
    for problem in report.override_problems:
        general.add_row(Text("failed", style="bold red"), f"override {safe(problem)}")
    parts.append(general)
    if any(r.overridden for r in report.operations):
        parts.append(Text("* overridden by the profile's [operations] table", style="cyan"))
    toml = report.override_toml(profile or "PROFILE")
    if toml:
        parts.append(Text("Suggested overrides (add to the configuration file):", style="bold"))
        parts.append(Text(toml))
    style = "bold red" if report.failed else "bold green"
    parts.append(Text(report.summary_line(), style=style))
    return Group(*parts)
