"""Issue 14, item 1 (model layer): every string a server sends is terminal-safe once decoded.

Property tests: :func:`preo_tui.text.safe_text` leaves nothing unsafe and is idempotent; every
response model, fed hostile text in every text field (nested models, lists, dict values, dict
keys and unknown extra fields included), holds only safe strings; error messages and bodies
built from a server's error answer are safe too.
"""

from __future__ import annotations

import re
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from preo_tui.api import models
from preo_tui.api._base import PreoModel
from preo_tui.api._transport import error_from_response
from preo_tui.api.client import ALL_OPERATIONS
from preo_tui.text import MULTILINE_KEYS, is_safe, safe_cell, safe_text

UNSAFE_ANY = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
UNSAFE_MULTI = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)

hostile_chars = st.sampled_from(
    ["\x1b", "\x07", "\x00", "\x9b", "\x9d", "\x7f", "\r", "\n", "\t", "\u202e", "\u2066", "\x08"]
)
hostile = st.lists(
    st.one_of(
        hostile_chars,
        st.sampled_from(["\x1b]52;c;aGk=\x07", "\x1b[2J", "\x1b]0;title\x1b\\", "[b]", "é", "漢"]),
        st.text(max_size=4),
    ),
    max_size=8,
).map("".join)


@given(hostile, st.booleans())
def test_item_1_safe_text_leaves_nothing_unsafe_and_is_idempotent(text: str, multi: bool) -> None:
    out = safe_text(text, multiline=multi)
    assert (UNSAFE_MULTI if multi else UNSAFE_ANY).search(out) is None
    assert safe_text(out, multiline=multi) == out
    assert is_safe(out, multiline=multi)
    assert "\x1b" not in safe_cell(text) and "\n" not in safe_cell(text)


def test_item_1_visible_escapes() -> None:
    assert safe_text("\x1b]52;c;aGk=\x07Eve") == "␛]52;c;aGk=␇Eve"
    assert safe_text("a\x9bb\u202ec") == "a\\x9bb\\u202ec"
    assert safe_text("one\r\ntwo\tx", multiline=True) == "one\ntwo\tx"
    assert safe_text("one\ntwo\tx") == "one␊two␉x"
    assert safe_text("Åse Ødegård 漢字") == "Åse Ødegård 漢字"


def _models() -> list[type[PreoModel]]:
    found = []
    for name in models.__all__:
        obj = getattr(models, name)
        if isinstance(obj, type) and issubclass(obj, PreoModel) and obj is not PreoModel:
            found.append(obj)
    return found


def _value(tp: Any, text: str, depth: int) -> Any:
    """A JSON value of type ``tp`` whose every string is ``text`` (or a valid fixed value)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _value(args[0], text, depth)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        return _value(options[-1], text, depth) if options else None
    if origin in (list, tuple, set, frozenset) or tp in (list,):
        return [_value(args[0] if args else str, text, depth)]
    if origin is dict or tp is dict:
        return {text: _value(args[1] if len(args) > 1 else str, text, depth)}
    if tp is Any or tp is str or tp is object:
        return text
    if isinstance(tp, type):
        if issubclass(tp, Enum):
            return next(iter(tp)).value
        if issubclass(tp, BaseModel):
            return _payload(tp, text, depth + 1) if depth < 3 else None
        if issubclass(tp, bool):
            return True
        if issubclass(tp, int):
            return 1
        if issubclass(tp, float | Decimal):
            return "1.50"
        if issubclass(tp, datetime):
            return "2026-07-03T10:00:00Z"
        if issubclass(tp, date):
            return "2026-07-03"
    return text


def _payload(model: type[BaseModel], text: str, depth: int = 0) -> dict[str, Any]:
    out = {
        (info.alias or name): _value(info.annotation, text, depth)
        for name, info in model.model_fields.items()
    }
    out["x_unknown_" + text[:3]] = {"nested": [text]}
    return out


def _strings(value: Any, key: str | None = None) -> typing.Iterator[tuple[str | None, str]]:
    if isinstance(value, BaseModel):
        for k, v in value:
            yield from _strings(v, k)
        for k, v in (value.__pydantic_extra__ or {}).items():
            yield (None, k)
            yield from _strings(v, k)
    elif isinstance(value, Enum):
        return
    elif isinstance(value, str):
        yield (key, value)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k, None)
            yield from _strings(v, k if isinstance(k, str) else None)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            yield from _strings(v, key)


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
@settings(max_examples=25, deadline=None, derandomize=True)
@given(text=hostile.filter(lambda t: not is_safe(t)))
def test_item_1_every_model_field_is_terminal_safe(model: type[PreoModel], text: str) -> None:
    item = model.model_validate(_payload(model, text))
    seen = list(_strings(item))
    assert seen, model.__name__
    for key, value in seen:
        multi = key in MULTILINE_KEYS
        assert (UNSAFE_MULTI if multi else UNSAFE_ANY).search(value) is None, (key, value)


def test_item_1_pages_of_plain_strings_and_extras() -> None:
    page = models.Page[str].model_validate({"results": ["\x1b[2J"], "x\x1b": "\x1b"})
    assert page.results == ["␛[2J"]
    assert page.extra_fields == {"x␛": "␛"}


@given(text=hostile.filter(lambda t: not is_safe(t)))
@settings(max_examples=30, deadline=None, derandomize=True)
def test_item_1_error_messages_from_server_bodies_are_safe(text: str) -> None:
    op = next(o for o in ALL_OPERATIONS if o.key == "refunds.approve")
    for status, body in (
        (400, {"comment": [text], text: ["bad"]}),
        (403, {"detail": text}),
        (409, {"detail": text}),
        (500, {"detail": text}),
        (422, {"detail": [{"loc": ["body", text], "msg": text}]}),
    ):
        response = httpx.Response(status, json=body, headers={"X-Request-ID": "r\x1b1"})
        err = error_from_response(op, "POST", "/v1/x", response, None, [])
        assert UNSAFE_MULTI.search(err.message) is None
        assert UNSAFE_MULTI.search(str(err)) is None
        for _key, value in _strings(err.detail):
            assert UNSAFE_MULTI.search(value) is None
        for k, msgs in getattr(err, "fields", {}).items():
            assert UNSAFE_ANY.search(k) is None
            assert all(UNSAFE_MULTI.search(m) is None for m in msgs)
