"""Every key binding of the app has an id (so the ``[keymap]`` table can remap it), ids are
unique per class, and no action is reachable only through a key chord terminals swallow
(a chord is fine with an alternative key, e.g. ``"ctrl+s,f2"``)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from textual.binding import Binding
from textual.dom import DOMNode

import preo_tui.ui

#: Chords terminals cannot tell apart from another key (ctrl+m is enter, ctrl+i is tab, ctrl+j is
#: a newline, ctrl+enter arrives as enter without the kitty protocol) or that input methods eat.
#: (ctrl+s/ctrl+z do arrive: Textual's raw mode turns off flow control and job control keys.)
SWALLOWED = {"ctrl+enter", "ctrl+shift+enter", "ctrl+m", "ctrl+j", "ctrl+i", "ctrl+space"}


def ui_classes() -> list[type[DOMNode]]:
    found: dict[str, type[DOMNode]] = {}
    for info in pkgutil.walk_packages(preo_tui.ui.__path__, "preo_tui.ui."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, DOMNode) and obj.__module__ == module.__name__:
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [found[k] for k in sorted(found)]


CLASSES = [cls for cls in ui_classes() if cls.__dict__.get("BINDINGS")]


def own_bindings(cls: type[DOMNode]) -> list[Binding]:
    out = []
    for item in cls.__dict__.get("BINDINGS", []):
        if isinstance(item, Binding):
            out.append(item)
        else:  # tuples are allowed by Textual but have no id
            out.append(Binding(*item))
    return out


def test_there_are_classes_to_check() -> None:
    names = {c.__name__ for c in CLASSES}
    assert {"PreoApp", "PreoScreen", "HomeScreen", "PagedTable", "SignInScreen"} <= names


@pytest.mark.parametrize(
    "cls", CLASSES, ids=lambda c: f"{c.__module__.rsplit('.', 1)[-1]}.{c.__name__}"
)
def test_every_binding_has_a_unique_id(cls: type[DOMNode]) -> None:
    bindings = own_bindings(cls)
    missing = [b.key for b in bindings if not b.id]
    assert missing == [], f"{cls.__name__}: bindings without an id: {missing}"
    # An id names one key; two bindings may share it only on the same key (the refund queue's
    # priority twin of a/x, approve_burst, so that a keymap change remaps both).
    meaning: dict[str | None, set[str]] = {}
    for b in bindings:
        meaning.setdefault(b.id, set()).add(b.key)
    shared = {i: m for i, m in meaning.items() if len(m) > 1}
    assert shared == {}, f"{cls.__name__}: one id for different bindings: {shared}"


@pytest.mark.parametrize(
    "cls", CLASSES, ids=lambda c: f"{c.__module__.rsplit('.', 1)[-1]}.{c.__name__}"
)
def test_no_swallowed_chords(cls: type[DOMNode]) -> None:
    for binding in own_bindings(cls):
        keys = {k.strip() for k in binding.key.split(",")}
        assert not keys <= SWALLOWED, (
            f"{cls.__name__}: {binding.key!r} ({binding.id}) has no key terminals reliably send; "
            "add an alternative (e.g. an F-key)"
        )
