"""Steps 2 and 3 of the import wizard: column mappings and product mappings.

Step 2 lists each CSV column with sample values and its target (``enter`` picks one, or skip);
every change is saved at once and ``validate-column-mappings`` runs, its messages beside the
columns they concern; targets a valid import needs (product; email or phone) are shown missing.
``ctrl+n`` runs ``process-column-mappings`` (the server refuses with its reasons; the wizard
stays on the step and shows them).

Step 3 maps each distinct product text to one of the edition's products: exact names are
matched by the server, close names are suggested (``a`` accepts every suggestion), ``enter``
picks one or "skip". ``ctrl+n`` refuses while a product text is neither mapped nor skipped.
"""

from __future__ import annotations

import difflib
from functools import partial
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from preo_tui.api.data_imports import ColumnMapping, ProductMapping
from preo_tui.imports_local import one_line
from preo_tui.ui.formatting import value_of
from preo_tui.ui.imports.common import (
    TARGETS,
    import_write,
    messages_for_column,
    missing_targets,
    validation_messages,
)
from preo_tui.ui.imports.wizard_base import WizardBase
from preo_tui.ui.widgets.choice import Choice, ChoiceModal

SKIP = "__skip__"


class MappingSteps(WizardBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.columns: list[ColumnMapping] = []
        self.column_messages: list[tuple[str | None, str]] = []
        self.columns_valid: bool | None = None
        self.product_mappings: list[ProductMapping] = []
        #: product texts the operator chose to skip (their rows are not imported)
        self.skipped: set[str] = set()
        #: source name -> suggested product id (close names the server did not match)
        self.suggestions: dict[str, str] = {}

    def compose_mapping_steps(self) -> ComposeResult:
        with Vertical(id="w-page-2", classes="w-page"):
            yield Static("", id="w-col-help", classes="w-help", markup=False)
            yield DataTable(id="w-columns", cursor_type="row", zebra_stripes=True)
            yield Static("", id="w-col-missing", classes="w-problems", markup=False)
            yield Static("", id="w-col-messages", classes="w-problems", markup=False)
        with Vertical(id="w-page-3", classes="w-page"):
            yield Static("", id="w-prod-help", classes="w-help", markup=False)
            yield DataTable(id="w-products", cursor_type="row", zebra_stripes=True)
            yield Static("", id="w-prod-problems", classes="w-problems", markup=False)

    # -- step 2: columns ----------------------------------------------------------------------

    @property
    def columns_editable(self) -> bool:
        return self.stage == "needs_column_mapping"

    def columns_entered(self) -> None:
        self.query_one("#w-columns", DataTable).focus()
        self.run_job(self._load_columns, group="columns", exclusive=True)

    async def _load_columns(self) -> None:
        client = self.ctx.client
        if client is None or self.imp is None:
            return
        self.columns = await client.data_imports.column_mappings(self.imp.id)
        if self.columns_editable and self.columns_valid is None:
            await self._validate()
        self.draw_columns()

    async def _validate(self) -> None:
        client = self.ctx.client
        if client is None or self.imp is None or self.ctx.read_only:
            return
        imp_id = self.imp.id
        result = await client.data_imports.validate_column_mappings(imp_id)
        self.columns_valid = result.valid
        self.column_messages = validation_messages(result.errors)

    def draw_columns(self) -> None:
        help_line = self.query_one("#w-col-help", Static)
        if self.columns_editable:
            help_line.update(
                "enter picks the target of the column under the cursor (or skips it)"
                " · ctrl+n processes the mappings"
            )
        else:
            help_line.update(
                "The column mappings are fixed: the server processed them"
                f" (stage {self.stage}). ctrl+n goes on."
            )
        table = self.query_one("#w-columns", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        narrow = self.size.width < 120
        table.add_column("Column", width=14 if narrow else 20)
        table.add_column("Sample values", width=22 if narrow else 40)
        table.add_column("Target", width=12)
        table.add_column("Problem")
        targets = [value_of(c.target) or None for c in self.columns]
        for col, target in zip(self.columns, targets, strict=True):
            samples = ", ".join(one_line(v, 16) for v in col.sample_values[:3])
            dup = target is not None and targets.count(target) > 1
            problems = messages_for_column(self.column_messages, col.column, target)
            if dup and not problems:
                problems = [f"{target} is mapped from {targets.count(target)} columns"]
            table.add_row(
                Text(one_line(col.column, 20), style="bold"),
                Text(one_line(samples, 40)),
                Text(target or "skip", style="" if target else "dim"),
                Text("; ".join(problems), style="red"),
                key=col.column,
            )
        if self.columns:
            table.move_cursor(row=min(keep, len(self.columns) - 1))
        missing = missing_targets(targets)
        self.query_one("#w-col-missing", Static).update(
            Text("Required, not mapped: " + ", ".join(missing), style="bold red")
            if missing
            else Text("All required targets are mapped.", style="green")
        )
        general = [
            m
            for col, m in self.column_messages
            if col is None and not any(f'"{t}"' in m for t in targets if t)
        ]
        self.query_one("#w-col-messages", Static).update(
            Text("\n".join(f"• {m}" for m in general), style="red")
        )

    @on(DataTable.RowSelected, "#w-columns")
    def _column_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if not self.columns_editable:
            self.show_step_error("The column mappings can no longer change (already processed).")
            return
        if not self.writable():
            return
        column = str(event.row_key.value)
        self.run_job(partial(self._pick_target, column), group="pick-target", exclusive=True)

    async def _pick_target(self, column: str) -> None:
        current = next((c for c in self.columns if c.column == column), None)
        if current is None:
            return
        used = {value_of(c.target): c.column for c in self.columns if c.target}
        choices: list[Choice[str]] = [Choice(SKIP, "skip (not imported)")]
        for target, meaning in TARGETS:
            taken = used.get(target)
            note = f"  (now: {one_line(taken, 16)})" if taken and taken != column else ""
            choices.append(Choice(target, f"{target:<13} {meaning}{note}"))
        chosen = await self.app.push_screen_wait(
            ChoiceModal(
                f"Target of {one_line(column, 30)}",
                choices,
                current=value_of(current.target) or SKIP,
            )
        )
        if chosen is None:
            return
        await self.set_target(column, None if chosen == SKIP else chosen)

    async def set_target(self, column: str, target: str | None) -> None:
        """Save one column's target, then validate all of them again."""
        client = self.ctx.client
        if client is None or self.imp is None:
            return
        imp = self.imp
        self.set_busy("saving the mapping…")
        try:
            self.columns = await import_write(
                self.ctx,
                "data_imports.update_column_mappings",
                f"map column {column} to {target or 'skip'} in import {imp.id}",
                id=imp.id,
                mappings=[{"column": column, "target": target}],
            )
            await self._validate()
        finally:
            self.set_busy("")
        self.show_step_error("")
        self.draw_columns()

    def process_columns(self) -> None:
        if not self.columns_editable:
            self.go_to(3)
            return
        missing = missing_targets([value_of(c.target) or None for c in self.columns])
        if missing:
            self.show_step_error(
                "Cannot go on: map a column to " + " and ".join(missing) + " first."
            )
            return
        if not self.writable():
            return
        self.run_job(self._process, group="process", exclusive=True)

    async def _process(self) -> None:
        client = self.ctx.client
        imp = self.imp
        if client is None or imp is None:
            return
        self.set_busy("processing the column mappings…")
        try:
            item = await import_write(
                self.ctx,
                "data_imports.process_column_mappings",
                f"process the column mappings of import {imp.id}",
                id=imp.id,
            )
        finally:
            self.set_busy("")
        self.adopt(item)
        self.go_to(3)

    # -- step 3: products ---------------------------------------------------------------------

    @property
    def products_editable(self) -> bool:
        return self.stage == "needs_product_mapping"

    def products_entered(self) -> None:
        self.query_one("#w-products", DataTable).focus()
        self.run_job(self._load_products, group="products", exclusive=True)

    async def _load_products(self) -> None:
        client = self.ctx.client
        edition = self.ctx.edition
        if client is None or self.imp is None or edition is None:
            return
        if not self.products:
            context = await client.segments.cel_context(edition.id)
            self.products = [p for p in context.dynamic_values.products if p.id]
        self.product_mappings = await client.data_imports.product_mappings(self.imp.id)
        self.suggestions = self._suggest()
        self.draw_products()

    def _suggest(self) -> dict[str, str]:
        names = {(p.name or "").lower(): p.id or "" for p in self.products}
        out: dict[str, str] = {}
        for m in self.product_mappings:
            if m.product_id is None and m.source_name.strip():
                close = difflib.get_close_matches(
                    m.source_name.lower(), list(names), n=1, cutoff=0.6
                )
                if close:
                    out[m.source_name] = names[close[0]]
        return out

    def product_name(self, product_id: str | None) -> str:
        for p in self.products:
            if p.id == product_id:
                return p.name or p.id or ""
        return product_id or ""

    def unmapped(self) -> list[ProductMapping]:
        return [
            m
            for m in self.product_mappings
            if m.product_id is None and m.source_name not in self.skipped
        ]

    def draw_products(self) -> None:
        help_line = self.query_one("#w-prod-help", Static)
        if self.products_editable:
            hint = " · a accepts every suggestion" if self.suggestions else ""
            help_line.update(
                "enter maps the product text under the cursor to one of the edition's products"
                f" (or skip){hint} · ctrl+n previews the orders"
            )
        else:
            help_line.update(f"The product mappings are fixed (stage {self.stage}).")
        table = self.query_one("#w-products", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        narrow = self.size.width < 120
        table.add_column("Product text in the file", width=20 if narrow else 30)
        table.add_column("Rows", width=5)
        table.add_column("Edition product", width=18 if narrow else 26)
        table.add_column("Note")
        for m in self.product_mappings:
            if m.product_id:
                product = Text(one_line(self.product_name(m.product_id), 26), style="green")
                note = Text("")
            elif m.source_name in self.skipped:
                product = Text("skip", style="dim")
                note = Text("its rows are not imported", style="dim")
            else:
                product = Text("not mapped", style="bold red")
                suggestion = self.suggestions.get(m.source_name)
                note = Text(
                    f"suggested: {one_line(self.product_name(suggestion), 24)} (a accepts)"
                    if suggestion
                    else "unknown product: map it or skip it",
                    style="yellow" if suggestion else "red",
                )
            table.add_row(
                Text(one_line(m.source_name or "(empty)", 30)),
                Text(f"{m.row_count or 0:,}", justify="right"),
                product,
                note,
                key=m.source_name,
            )
        if self.product_mappings:
            table.move_cursor(row=min(keep, len(self.product_mappings) - 1))
        left = self.unmapped()
        problems = self.query_one("#w-prod-problems", Static)
        if left:
            rows = sum(m.row_count or 0 for m in left)
            problems.update(
                Text(
                    f"{len(left)} product text(s) not mapped ({rows:,} rows): "
                    + ", ".join(repr(one_line(m.source_name, 30)) for m in left[:5]),
                    style="bold red",
                )
            )
        else:
            problems.update(Text("Every product text is mapped or skipped.", style="green"))

    @on(DataTable.RowSelected, "#w-products")
    def _product_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if not self.products_editable:
            self.show_step_error("The product mappings can no longer change.")
            return
        if not self.writable():
            return
        source = str(event.row_key.value)
        self.run_job(partial(self._pick_product, source), group="pick-product", exclusive=True)

    async def _pick_product(self, source: str) -> None:
        current = next((m for m in self.product_mappings if m.source_name == source), None)
        if current is None:
            return
        suggestion = self.suggestions.get(source)
        choices: list[Choice[str]] = [Choice(SKIP, "skip (rows with it are not imported)")]
        for p in sorted(self.products, key=lambda p: (p.id != suggestion, (p.name or "").lower())):
            mark = "  (suggested)" if p.id == suggestion else ""
            choices.append(Choice(p.id or "", f"{one_line(p.name, 40)}{mark}"))
        now = current.product_id or (SKIP if source in self.skipped else suggestion)
        chosen = await self.app.push_screen_wait(
            ChoiceModal(f"Product for {one_line(source, 30)!r}", choices, current=now)
        )
        if chosen is None:
            return
        await self.set_products({source: None if chosen == SKIP else chosen})

    def action_accept_suggestions(self) -> None:
        if self.step != 3 or not self.products_editable or not self.suggestions:
            return
        if not self.writable():
            return
        wanted: dict[str, str | None] = dict(self.suggestions)
        self.run_job(partial(self.set_products, wanted), group="pick-product", exclusive=True)

    async def set_products(self, wanted: dict[str, str | None]) -> None:
        client = self.ctx.client
        imp = self.imp
        if client is None or imp is None:
            return
        body = [{"source_name": s, "product_id": p} for s, p in wanted.items()]
        self.set_busy("saving the product mapping…")
        try:
            self.product_mappings = await import_write(
                self.ctx,
                "data_imports.update_product_mappings",
                f"map {len(body)} product text(s) in import {imp.id}",
                id=imp.id,
                mappings=body,
            )
        finally:
            self.set_busy("")
        for source, product in wanted.items():
            self.suggestions.pop(source, None)
            if product is None:
                self.skipped.add(source)
            else:
                self.skipped.discard(source)
        self.show_step_error("")
        self.draw_products()

    def products_next(self) -> None:
        left = self.unmapped()
        if self.products_editable and left:
            self.show_step_error(
                f"Cannot go on: {len(left)} product text(s) are not mapped — "
                + ", ".join(repr(one_line(m.source_name, 30)) for m in left[:3])
                + ". Map each to a product or choose skip."
            )
            return
        self.go_to(4)
