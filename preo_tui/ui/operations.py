"""The operation map: every operation of the client's registry (``ALL_OPERATIONS``) with the
screen and key that performs it (``preo-tui --operations``).

How it is declared, so that it cannot drift from the code:

- Each screen class that performs operations says so itself, next to its ``BINDINGS``::

      PERFORMS: ClassVar[dict[str, str]] = {"webhooks.create": "n", "webhooks.list": "(opens)"}

  A value is the key of one of the class's bindings (``n``, ``ctrl+s``, ``enter``) or, in
  parentheses, a moment rather than a key: ``(opens)`` the screen opening, ``(cursor)`` the
  cursor resting on a row, ``(sign-in)``, ``(automatic)``.
- :data:`SCREENS` names the classes to read, with the path an operator takes to reach them.
- :data:`EXTERNAL` holds the declarations of screens this module cannot put ``PERFORMS`` on
  (their files belong to another piece of work right now) and of screens being built
  elsewhere (``:files``, ``:imports``): the same form, keyed by the class's import path.

``tests/ui/test_operation_map.py`` fails when an operation of the registry has no entry, when
an entry names an operation the registry does not have, or when a declared key is not bound
on its class — so the count stays complete as the API grows.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

#: The classes whose ``PERFORMS`` make up the map: how to reach them → "module:Class".
SCREENS: dict[str, str] = {
    "sign-in": "preo_tui.ui.shell.signin:SignInScreen",
    ":editions": "preo_tui.ui.editions.screen:EditionsScreen",
    ":orders": "preo_tui.ui.orders.screen:OrdersScreen",
    ":users": "preo_tui.ui.users.screen:UsersScreen",
    ":campaigns": "preo_tui.ui.campaigns.screen:CampaignsScreen",
    ":campaigns › compose": "preo_tui.ui.campaigns.compose:CampaignComposeScreen",
    ":segments": "preo_tui.ui.segments.screen:SegmentsScreen",
    ":segments › editor": "preo_tui.ui.segments.editor:SegmentEditorScreen",
    ":emails": "preo_tui.ui.emails.screen:EmailsScreen",
    ":emails › editor": "preo_tui.ui.emails.editor:EmailEditorScreen",
    ":consents": "preo_tui.ui.consents.screen:ConsentsScreen",
    ":webhooks": "preo_tui.ui.webhooks.screen:WebhooksScreen",
    ":webhooks › deliveries": "preo_tui.ui.webhooks.deliveries:DeliveriesScreen",
}

#: Declarations kept here instead of on the class. ``ready`` False: the screen is being built
#: on another branch; after merging, its keys must be bound (the test checks it once the
#: module imports) and the entry should move onto the class as ``PERFORMS``.
EXTERNAL: tuple[tuple[str, str, bool, Mapping[str, str]], ...] = (
    (
        ":refunds",
        "preo_tui.ui.refunds.screen:RefundsScreen",
        True,
        {
            "refunds.list": "(opens)",
            "refunds.get": "(cursor)",
            "refunds.approve": "a",
            "refunds.reject": "x",
            "purchases.refund": "n",
            "refunds.create": "N",
        },
    ),
    (
        ":files",
        "preo_tui.ui.files.screen:FilesScreen",
        True,
        {
            "files.list": "(opens)",
            "files.upload": "u",
            "files.update": "e",
            "files.delete": "d",
            "files.get": "enter",
        },
    ),
    (
        ":imports",
        "preo_tui.ui.imports.screen:ImportsScreen",
        True,
        {
            "data_imports.list": "(opens)",
            "data_imports.get": "(cursor)",
            "data_imports.create": "n",
            "data_imports.update": "n",
            "data_imports.column_mappings": "n",
            "data_imports.update_column_mappings": "n",
            "data_imports.validate_column_mappings": "n",
            "data_imports.process_column_mappings": "n",
            "data_imports.product_mappings": "n",
            "data_imports.update_product_mappings": "n",
            "data_imports.preview_orders": "n",
            "data_imports.start": "n",
            "data_imports.external_orders": "E",
            "data_imports.cancel": "c",
        },
    ),
)


@dataclass(frozen=True)
class Use:
    """One way the app performs an operation."""

    op: str
    screen: str
    key: str
    owner: str
    #: False while the screen is being built elsewhere (not in this version yet).
    ready: bool = True

    @property
    def is_moment(self) -> bool:
        return self.key.startswith("(")


def load_class(path: str) -> type | None:
    """``module:Class`` → the class, or None when the module does not exist (yet)."""
    module_name, _, name = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None
        raise
    found = getattr(module, name, None)
    return found if isinstance(found, type) else None


def declared_uses() -> Iterator[Use]:
    for screen, path in SCREENS.items():
        cls = load_class(path)
        if cls is None:
            raise LookupError(f"{path} (listed in SCREENS) does not exist")
        performs: Mapping[str, str] = getattr(cls, "PERFORMS", {})
        for op, key in performs.items():
            yield Use(op, screen, key, path)
    for screen, path, ready, performs in EXTERNAL:
        for op, key in performs.items():
            yield Use(op, screen, key, path, ready=ready)


@dataclass(frozen=True)
class MapRow:
    key: str
    method: str
    path: str
    summary: str
    uses: tuple[Use, ...]


def operation_map() -> list[MapRow]:
    """Every operation of the registry, in contract order, with its uses."""
    from preo_tui.api import ALL_OPERATIONS

    uses: dict[str, list[Use]] = {}
    for use in declared_uses():
        uses.setdefault(use.op, []).append(use)
    return [
        MapRow(op.key, op.method, op.path, op.summary, tuple(uses.get(op.key, ())))
        for op in ALL_OPERATIONS
    ]


def format_map(rows: list[MapRow] | None = None) -> str:
    """The map as text: one line per operation and use; a summary line at the end."""
    rows = operation_map() if rows is None else rows
    lines = [f"{'operation':<38} {'method':<6} {'screen':<24} key"]
    reachable = 0
    for row in rows:
        if row.uses:
            reachable += 1
        uses = row.uses or (Use(row.key, "— none —", "", ""),)
        for index, use in enumerate(uses):
            name = f"{row.key}" if index == 0 else ""
            method = row.method if index == 0 else ""
            pending = "" if use.ready else "   (being built: not in this version yet)"
            lines.append(f"{name:<38} {method:<6} {use.screen:<24} {use.key}{pending}")
    pending_ops = sum(1 for r in rows if r.uses and not any(u.ready for u in r.uses))
    lines.append("")
    lines.append(
        f"{reachable} of {len(rows)} operations have a screen and key"
        + (f" ({pending_ops} on screens being built)" if pending_ops else "")
        + "."
    )
    return "\n".join(lines)
