"""Comparing a decoded answer with the raw JSON: unknown fields, missing fields (not those an
answer leaves out by design), enum values outside the known sets, and terminal-safe text."""

from __future__ import annotations

from preo_tui.api._base import Page
from preo_tui.api.orders import Order
from preo_tui.api.refunds import RefundRequest
from preo_tui.doctor.fields import enum_text, inspect_answer
from preo_tui.doctor.report import Finding, safe


def refund(**extra: object) -> dict[str, object]:
    base: dict[str, object] = dict.fromkeys(RefundRequest.model_fields)
    base.update(id="rfr_1", status="requested", reason="other", scope="purchase_price")
    base.update(extra)
    return base


def test_unknown_enum_values_and_fields_are_found() -> None:
    raw = refund(status="on_hold", reason="weather", tier="gold")
    raw["requested_by"] = {"id": "usr_1", "nickname": "x"}
    found = inspect_answer(RefundRequest.model_validate(raw), raw)
    assert found.enum_values == {"status": {"on_hold"}, "reason": {"weather"}}
    assert found.unknown == {"tier", "requested_by.nickname"}
    assert found.missing == set()
    assert enum_text(found.enum_values) == ["reason: weather", "status: on_hold"]


def test_a_field_that_never_came_is_missing_but_not_when_absent_by_design() -> None:
    raw = refund()
    del raw["order_number"]
    found = inspect_answer(RefundRequest.model_validate(raw), raw)
    assert found.missing == {"order_number"}

    order: dict[str, object] = dict.fromkeys(Order.model_fields)
    order["id"] = "ord_1"
    del order["purchases"]  # the list leaves purchases out (contract §4)
    page_raw = {"count": 1, "next": None, "previous": None, "results": [order]}
    page = Page[Order].model_validate(page_raw)
    assert inspect_answer(page, page_raw).missing == set()
    detail = dict(order)
    detail["purchases"] = []
    del detail["purchase_count"]  # the detail carries the purchases, not their count
    assert inspect_answer(Order.model_validate(detail), detail).missing == set()
    del detail["currency"]
    assert inspect_answer(Order.model_validate(detail), detail).missing == {"currency"}


def test_server_text_is_made_terminal_safe() -> None:
    assert safe("ok\x1b[31mred\x07\u202eevil\nline") == "ok [31mred evil line"
    assert Finding("x", "failed", "\x1b]52;c;AAAA\x07").message == " ]52;c;AAAA "
    assert len(safe("x" * 1000)) == 300
