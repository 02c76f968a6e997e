"""Ordering and paging in the sandbox at their edges: too many or empty ordering terms,
unknown fields naming the choices, the tiebreak following the last direction, LIKE patterns
escaped, and a page past the end."""

from __future__ import annotations

import pytest

from preo_tui.sandbox.errors import ApiError
from preo_tui.sandbox.paging import MAX_ORDERING_TERMS, like_pattern, marks, order_by
from tests.fixtures.sandbox import Sandbox

ALLOWED = {"name": "t.name", "created": "t.created"}


def refusal(ordering: str) -> object:
    with pytest.raises(ApiError) as refused:
        order_by(ordering, ALLOWED, "name")
    assert refused.value.status == 400
    return refused.value.fields["ordering"]


def test_order_by_builds_a_stable_order() -> None:
    assert order_by(None, ALLOWED, "-created") == "t.created DESC, t.pk DESC"
    assert order_by("name, -created", ALLOWED, "name") == "t.name ASC, t.created DESC, t.pk DESC"
    assert order_by("-name,created", ALLOWED, "name", tiebreak="t.id") == (
        "t.name DESC, t.created ASC, t.id ASC"
    )


def test_order_by_refusals() -> None:
    assert refusal("shoe_size") == ['Unknown ordering "shoe_size". Choose from: created, name.']
    assert refusal(" , ") == ["Ordering must not be empty."]
    too_many = ",".join(["name"] * (MAX_ORDERING_TERMS + 1))
    assert refusal(too_many) == [f"Order by at most {MAX_ORDERING_TERMS} fields."]


def test_like_patterns_and_marks() -> None:
    assert like_pattern("50%_off\\") == "%50\\%\\_off\\\\%"
    assert marks([1, 2, 3]) == "?, ?, ?"


async def test_over_http_a_page_past_the_end_and_a_bad_ordering(sandbox: Sandbox) -> None:
    c = sandbox.client()
    r = await c.get("/v1/campaigns", params={"page": 999, "page_size": 10})
    assert (r.status_code, r.json()) == (404, {"detail": "Invalid page."})
    r = await c.get("/v1/campaigns", params={"ordering": "-nope"})
    assert r.status_code == 400 and r.json()["ordering"][0].startswith('Unknown ordering "-nope"')
    first = (await c.get("/v1/campaigns", params={"page_size": 2})).json()
    assert first["previous"] is None and "page=2" in first["next"]
    second = (await c.get(first["next"])).json()
    assert second["previous"] is not None and "page=" not in second["previous"]
