"""Contexts with every shape a server's ``cel-context`` may describe (lists of lists, maps
with scalar and non-scalar keys or values, nested and repeated objects, durations): they
check, name their objects in plain words (singular for list elements) and evaluate."""

from __future__ import annotations

import datetime as dt

from preo_tui.cel import CelContext, check, compile_condition, normalize_activation
from preo_tui.cel.env import _camel, _singular, environments_for

CTX = CelContext.from_schema(
    {
        "rec": {
            "grid": [["int"]],
            "attrs": "map(string, int)",
            "blob": "map(int, list(string))",
            "children": [{"name": "string"}],
            "child": {"name": "string"},
            "wait": "duration",
            "when": "timestamp",
        },
        "categories": [{"name": "string"}],
        "flags": "map(string, bool)",
        "n": "int",
    }
)


def messages(text: str) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in check(text, CTX).diagnostics]


def test_every_shape_checks() -> None:
    for text in (
        'rec.attrs["a"] == 1',
        "size(rec.grid) > 0",
        'rec.children.exists(c, c.name == "x")',
        "rec.blob.size() > 0",
        'rec.wait > duration("1s")',
        'flags["a"]',
        'rec.when < timestamp("2030-01-01T00:00:00Z")',
    ):
        assert check(text, CTX).ok, text


def test_objects_are_named_by_their_field_singular_for_lists() -> None:
    assert messages('rec.child.nam == "y"') == [
        ("unknown_field", "unknown field 'nam' on child; did you mean 'name'?")
    ]
    assert messages('categories.exists(c, c.nme == "a")') == [
        ("unknown_field", "unknown field 'nme' on category; did you mean 'name'?")
    ]
    [(code, message)] = messages("rec.nope")
    assert code == "unknown_field" and message.endswith(
        "(fields of rec: grid, attrs, blob, children, child, wait, when)"
    )


def test_maps_and_nested_objects_evaluate() -> None:
    cond = compile_condition(
        'rec.attrs["a"] == 1 && rec.child.name == "y" && flags["on"] && rec.wait > duration("1s")',
        CTX,
    )
    values = {
        "rec": {"attrs": {"a": 1}, "child": {"name": "y"}, "wait": dt.timedelta(seconds=5)},
        "flags": {"on": True},
    }
    assert cond.evaluate(normalize_activation(values, CTX))
    values["rec"]["attrs"] = {"a": 2}
    assert not cond.evaluate(normalize_activation(values, CTX))


def test_environments_are_shared_between_contexts_of_the_same_types() -> None:
    first = environments_for(CTX)
    same_types = CelContext.from_schema(
        {name: t.describe() for name, t in CTX.variables}, functions=("size",)
    )
    second = environments_for(same_types)
    assert second.typed is first.typed and second.context is same_types
    assert environments_for(CTX) is first


def test_names_for_generated_messages() -> None:
    assert _camel("order_items") == "OrderItems"
    assert _camel("9lives") == "T9lives"
    assert _camel("--") == "T"
    assert _singular("categories") == "category"
    assert _singular("orders") == "order"
    assert _singular("address") == "address"
    assert _singular("bus") == "bus"
