"""The sandbox's input guards, directly and over HTTP: query strings too long, values too
long or holding NUL (in the value or the name), JSON nested too deep (brackets inside strings
do not count), and bodies that are not JSON passed through unchecked."""

from __future__ import annotations

from preo_tui.sandbox.guards import (
    MAX_JSON_DEPTH,
    MAX_QUERY_STRING,
    MAX_QUERY_VALUE,
    json_too_deep,
    query_problem,
)
from tests.fixtures.sandbox import Sandbox


def test_query_problems() -> None:
    assert query_problem(b"") is None
    assert query_problem(b"search=ann&page=2") is None
    assert query_problem(b"x" * (MAX_QUERY_STRING + 1)) == {
        "non_field_errors": [f"The query string exceeds {MAX_QUERY_STRING} bytes."]
    }
    assert query_problem(b"search=a%00b") == {"search": ["Null characters are not allowed."]}
    assert query_problem(b"se%00arch=ab") == {"search": ["Null characters are not allowed."]}
    long = b"search=" + b"a" * (MAX_QUERY_VALUE + 1)
    assert query_problem(long) == {
        "search": [f"Ensure this value has at most {MAX_QUERY_VALUE} characters."]
    }


def test_json_depth_skips_strings_and_escapes() -> None:
    deep = b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)
    assert json_too_deep(deep)
    at_limit = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    assert not json_too_deep(at_limit)
    in_string = b'{"a": "' + b"[" * 200 + b'"}'
    assert not json_too_deep(in_string)
    escaped_quote = b'{"a": "\\"' + b"[" * 200 + b'"}'
    assert not json_too_deep(escaped_quote)
    siblings = b"[" + b"[]," * 200 + b"[]]"  # many brackets, little depth
    assert not json_too_deep(siblings)


async def test_guards_over_http(sandbox: Sandbox) -> None:
    c = sandbox.client()
    r = await c.get("/v1/orders", params={"search": "a\x00b"})
    assert (r.status_code, r.json()) == (400, {"search": ["Null characters are not allowed."]})
    deep = "[" * (MAX_JSON_DEPTH + 5) + "]" * (MAX_JSON_DEPTH + 5)
    r = await c.post(
        "/v1/consents", content=deep.encode(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json() == {
        "non_field_errors": [f"JSON parse error - nested deeper than {MAX_JSON_DEPTH}."]
    }
    # A body that is not JSON is not inspected: the route itself answers.
    r = await c.post(
        "/v1/files",
        content=deep.encode(),
        headers={"content-type": "text/plain"},
    )
    assert (r.status_code, r.json()) == (
        400,
        {"non_field_errors": ["Invalid data. Expected a JSON object or multipart form."]},
    )
    # Outside /v1 nothing is guarded.
    r = await c.get("/_sandbox/faults", params={"x": "a\x00b"})
    assert r.status_code == 200
