"""Actions shared by the feature screens (segments, campaigns, email messages and their editors).

- :func:`confirm_destructive`: typed confirmation on a production profile, a plain confirmation
  otherwise.
- :func:`confirm_delete`: :func:`confirm_destructive` worded for deleting a named object.
- :func:`forget_deleted`: after a delete, drop the object from the cache, say so and reload.
- :func:`filter_choices`, :func:`open_filter_picker`, :func:`change_filter`: the "key: value"
  filter picker of a list screen.
- :func:`selected_or_warn` / :func:`writable_or_warn`: the guards in front of a list action.
- :func:`leave_editor`: leave an editor, asking first when it has unsaved changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from preo_tui.ui.widgets.choice import Choice, ChoiceModal
from preo_tui.ui.widgets.confirm import ConfirmModal, TypedConfirmModal

if TYPE_CHECKING:
    from textual.app import App

    from preo_tui.ui.base import ListDetailScreen, PreoScreen
    from preo_tui.ui.context import AppContext

R = TypeVar("R")
T = TypeVar("T")

#: a filter choice's value: (key, wanted value or None for "any"); ("all", None) clears all
FilterValue = tuple[str, str | None]


def selected_or_warn(screen: ListDetailScreen[T], what: str) -> T | None:
    """The row under the cursor; without one say "No ``what`` selected." and return None."""
    item: T | None = screen.table.current_item
    if item is None:
        screen.notify(f"No {what} selected.", severity="warning", timeout=3)
    return item


def blocked_reason(ctx: AppContext, *, refuse_offline: bool = True) -> str | None:
    """Why no write can be made now (read-only profile, offline), or None."""
    if ctx.read_only:
        return "this profile is read-only."
    if refuse_offline and ctx.offline:
        return "offline — writes are refused until the server answers again."
    return None


def say_blocked(node: Any, reason: str) -> None:
    """The one toast of a key that cannot act, with the reason (every screen uses it)."""
    text = reason[:1].upper() + reason[1:]
    node.notify(text, title="Not possible now", severity="warning", timeout=4)


def writable_or_warn(screen: PreoScreen, *, refuse_offline: bool = False) -> bool:
    """False (and say why) on a read-only profile, and with ``refuse_offline`` while offline."""
    reason = blocked_reason(screen.ctx, refuse_offline=refuse_offline)
    if reason is not None:
        say_blocked(screen, reason)
        return False
    return True


async def confirm_destructive(
    app: App[Any],
    title: str,
    body: str,
    *,
    production: bool,
    expected: str,
    prompt: str,
    confirm_label: str,
) -> bool:
    """Ask before something that cannot be undone: on production the operator types
    ``expected`` (with ``prompt`` above the input); elsewhere a plain yes/no. Needs a worker."""
    modal: ConfirmModal | TypedConfirmModal
    if production:
        modal = TypedConfirmModal(
            title,
            body,
            expected=expected,
            prompt=prompt,
            confirm_label=confirm_label,
            production=True,
        )
    else:
        modal = ConfirmModal(title, body, confirm_label=confirm_label)
    ok: bool = await app.push_screen_wait(modal)
    return ok


async def confirm_delete(
    screen: PreoScreen, noun: str, name: str | None, object_id: str, body: str
) -> bool:
    """Ask before deleting the ``noun`` (e.g. "segment") ``name``: on production the operator
    types its name (its id when it has none)."""
    return await confirm_destructive(
        screen.app,
        f"Delete {noun} {name}?",
        body,
        production=screen.ctx.is_production,
        expected=name or object_id,
        prompt=f"Type the {noun}'s name to delete it",
        confirm_label="Delete",
    )


async def forget_deleted(
    screen: ListDetailScreen[Any], resource: str, object_id: str, name: str | None
) -> None:
    """After the server deleted ``object_id``: drop it from the cache, say so, reload the list."""
    store = screen.ctx.store
    if store is not None:
        store.remove_item(resource, object_id)
    screen.notify(f"Deleted {name}.", timeout=3)
    await screen.table.reload_and_wait()


def filter_choices(
    filters: dict[str, str], groups: Iterable[tuple[str, Sequence[str]]]
) -> list[Choice[FilterValue]]:
    """The "key: any" / "key: value" choices of each ``(key, values)`` group, the current
    ones marked with a bullet."""
    choices: list[Choice[FilterValue]] = []
    for key, values in groups:
        current = filters.get(key)
        choices.append(Choice((key, None), f"{key}: any" + ("  •" if current is None else "")))
        for value in values:
            mark = "  •" if current == value else ""
            choices.append(Choice((key, value), f"{key}: {value}{mark}"))
    return choices


def change_filter(
    screen: ListDetailScreen[Any], filters: dict[str, str], key: str, value: str | None
) -> None:
    """Set ``filters[key]`` to ``value`` (None removes that filter; the key ``"all"`` removes
    every filter), then update the list's status line and reload it."""
    if key == "all":
        filters.clear()
    elif value is None:
        filters.pop(key, None)
    else:
        filters[key] = value
    screen._update_list_status()
    screen.table.reload()


def open_filter_picker(
    screen: ListDetailScreen[Any],
    title: str,
    choices: list[Choice[FilterValue]],
    filters: dict[str, str],
) -> None:
    """Offer ``choices`` (a "Clear every filter" choice first, then e.g. :func:`filter_choices`)
    and apply the one picked with :func:`change_filter`."""

    def chosen(value: FilterValue | None) -> None:
        if value is not None:
            change_filter(screen, filters, *value)

    screen.app.push_screen(ChoiceModal(title, choices), callback=chosen)


def leave_editor(screen: PreoScreen, *, dirty: bool, what: str) -> None:
    """Close an editor screen; with unsaved changes ask first ("``what`` has unsaved
    changes.", e.g. ``what="The campaign"``)."""
    if not dirty:
        screen.dismiss()
        return
    screen.run_job(_confirm_discard(screen, what), group="discard", exclusive=True)


async def _confirm_discard(screen: PreoScreen, what: str) -> None:
    ok = await screen.app.push_screen_wait(
        ConfirmModal(
            "Discard your changes?",
            f"{what} has unsaved changes.",
            confirm_label="Discard",
            cancel_label="Keep editing",
        )
    )
    if ok:
        screen.dismiss()
