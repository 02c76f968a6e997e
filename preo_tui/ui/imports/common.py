"""Shared by the data-import screens: stages, wording, the one write path, path input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

from preo_tui.imports_local import complete_path, one_line
from preo_tui.ui.formatting import value_of
from preo_tui.ui.writes import perform_operation

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from preo_tui.api.data_imports import DataImport
    from preo_tui.ui.context import AppContext

STAGES = (
    "uploaded",
    "needs_column_mapping",
    "needs_product_mapping",
    "importing",
    "completed",
    "failed",
    "cancelled",
)
FINISHED = ("completed", "failed", "cancelled")
CANCELLABLE = ("uploaded", "needs_column_mapping", "needs_product_mapping", "importing")
STAGE_STYLE = {
    "uploaded": "cyan",
    "needs_column_mapping": "yellow",
    "needs_product_mapping": "yellow",
    "importing": "bold yellow",
    "completed": "green",
    "failed": "bold red",
    "cancelled": "dim strike",
}
STAGE_SHORT = {
    "needs_column_mapping": "map columns",
    "needs_product_mapping": "map products",
}
#: Column targets (contract §10) and what each means.
TARGETS: tuple[tuple[str, str], ...] = (
    ("email", "customer e-mail"),
    ("phone", "customer phone"),
    ("first_name", "first name"),
    ("last_name", "last name"),
    ("order_number", "order number (same number: one order)"),
    ("product", "product name (mapped next)"),
    ("quantity", "quantity (default 1)"),
    ("price", "unit price (default: the product's)"),
    ("created", "order date (ISO 8601)"),
)


def stage_of(item: DataImport | None) -> str:
    return value_of(item.stage) if item is not None else ""


def stage_text(stage: Any) -> Text:
    value = value_of(stage) or "?"
    return Text(STAGE_SHORT.get(value, value), style=STAGE_STYLE.get(value, ""))


def step_for_stage(stage: str) -> int:
    """The wizard step an import in ``stage`` continues at."""
    if stage in ("uploaded", "needs_column_mapping"):
        return 2
    if stage == "needs_product_mapping":
        return 3
    return 5


def counts_text(item: DataImport) -> str:
    total = item.total_rows or 0
    done = item.imported_orders or 0
    failed = item.failed_rows or 0
    return f"{total:,} rows · {done:,} orders imported · {failed:,} rows failed"


def missing_targets(targets: Sequence[str | None]) -> list[str]:
    """Required targets no column maps to (the sandbox's rule: product, and email or phone)."""
    chosen = {t for t in targets if t}
    missing = []
    if "email" not in chosen and "phone" not in chosen:
        missing.append("email or phone")
    if "product" not in chosen:
        missing.append("product")
    return missing


def validation_messages(errors: Any) -> list[tuple[str | None, str]]:
    """The server's validation ``errors`` as ``(column or None, message)`` pairs: a list of
    strings, a list of ``{column, message}`` objects, or a ``{column: [messages]}`` object."""
    out: list[tuple[str | None, str]] = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            values = value if isinstance(value, list) else [value]
            column = None if key in ("non_field_errors", "__all__", "column_mappings") else key
            out.extend((column, one_line(v, 200)) for v in values)
    elif isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict):
                column = item.get("column")
                message = item.get("message") or item.get("error") or item
                out.append((str(column) if column else None, one_line(message, 200)))
            else:
                out.append((None, one_line(item, 200)))
    elif errors:
        out.append((None, one_line(errors, 200)))
    return out


def messages_for_column(
    messages: Sequence[tuple[str | None, str]], column: str, target: str | None
) -> list[str]:
    """The messages that concern ``column``: named for it, or naming its target in quotes."""
    found = []
    for col, text in messages:
        if col == column or (target and col is None and f'"{target}"' in text):
            found.append(text)
    return found


async def import_write(
    ctx: AppContext, operation: str, summary: str, node: DOMNode | None = None, **args: Any
) -> Any:
    """Every write of the imports and files screens that carries no file body: the client's
    ``operation`` (``data_imports.start``) as a durable action — journalled with its arguments
    before sending, resolved by re-reading when its answer is lost, resumable after a
    restart."""
    return await perform_operation(ctx, operation, summary, node, **args)


class PathInput(Input):
    """A path input: ``tab`` completes folders and files (``~`` expanded), or moves to the
    next field once the path is complete; the candidates are posted in
    :class:`PathInput.Completed` for the screen to show."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", "Complete path", id="path.complete", show=False),
    ]

    class Completed(Message):
        def __init__(self, input: PathInput, candidates: list[str]) -> None:
            super().__init__()
            self.input = input
            self.candidates = candidates

        @property
        def control(self) -> PathInput:
            return self.input

    def __init__(self, value: str = "", *, suffixes: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(value, **kwargs)
        self.suffixes = tuple(suffixes)

    def action_complete(self) -> None:
        """Complete the path; when there is nothing (more) to complete, move on to the next
        field as tab does elsewhere."""
        completed, candidates = complete_path(self.value, suffixes=self.suffixes)
        if completed == self.value and len(candidates) <= 1 and self.value.strip():
            self.post_message(self.Completed(self, []))
            self.screen.focus_next()
            return
        if completed != self.value:
            self.value = completed
            self.cursor_position = len(completed)
        self.post_message(self.Completed(self, candidates))
