"""Property tests of the models' tolerance (contract §11).

Every model gets a full, valid example. Hypothesis then adds arbitrary extra fields, drops
arbitrary optional fields and puts arbitrary strings into enum fields: the answer must parse,
keep the extras, read missing fields as None and keep unknown enum values as plain strings.
Putting a wrong-typed value into a typed field must raise DecodeError (a PreoError) through the
client's decoding path, never a pydantic or JSON exception.
"""

from __future__ import annotations

import json
import types
import typing
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from preo_tui.api import DecodeError, Page
from preo_tui.api._resource import decode
from preo_tui.api.auth import Me
from preo_tui.api.campaigns import Campaign, CampaignStats
from preo_tui.api.consents import Consent
from preo_tui.api.data_imports import ColumnMapping, DataImport, ProductMapping
from preo_tui.api.editions import Edition
from preo_tui.api.editions import HealthCheck as EditionHealth
from preo_tui.api.email_messages import EmailMessage, TemplateVariable
from preo_tui.api.files import File
from preo_tui.api.orders import Order
from preo_tui.api.purchases import Purchase
from preo_tui.api.refunds import RefundRequest
from preo_tui.api.registry import Operation
from preo_tui.api.segments import CelContext, CelValidation, Segment
from preo_tui.api.users import User
from preo_tui.api.webhooks import WebhookDelivery, WebhookEndpoint
from preo_tui.text import safe_data, safe_text

TS = "2026-06-01T10:00:00+00:00"
PURCHASE = {
    "id": "pur_1", "order_id": "ord_1", "edition_id": "edt_1", "product_id": "prd_1",
    "product_name": "Festival pass", "quantity": 2, "unit_price": 120.5, "deposit": 5.0,
    "fees": 2.25, "amount": 250.0, "refunded_amount": 0.0, "status": "active",
    "created": TS, "modified": TS,
}  # fmt: skip
EXAMPLES: dict[type[BaseModel], dict[str, Any]] = {
    RefundRequest: {
        "id": "rfr_1", "edition_id": "edt_1", "amount": 250.0, "created": TS, "modified": TS,
        "can_approve": True, "can_reject": True, "organization": "org_1",
        "scope": "purchase_price", "status": "requested", "comment": "c",
        "service_response": None, "refund_date": TS,
        "requested_by": {"id": "usr_1", "email": "a@b.c", "first_name": "A", "last_name": "B"},
        "pickup_point": {"id": "pkp_1", "name": "Gate A"}, "reason": "customer_request",
        "purchase_id": "pur_1", "order_id": "ord_1", "order_number": "A-1",
        "customer_email": "c@d.e", "decided_at": TS,
        "decided_by": {"id": "usr_2", "email": "m@x.y", "first_name": "M", "last_name": "N"},
        "rejection_reason": None,
    },
    Purchase: PURCHASE,
    Order: {
        "id": "ord_1", "order_number": "A-1", "edition_id": "edt_1", "organization_id": "org_1",
        "customer": {"id": "usr_1", "email": "a@b.c", "phone": "+45", "first_name": "A",
                     "last_name": "B"},
        "status": "completed", "type": "in-person", "amount": 250.0, "currency": "DKK",
        "transaction_id": "trx_1", "created": TS, "modified": TS, "purchases": [PURCHASE],
        "purchase_count": 1,
    },
    Edition: {
        "id": "edt_1", "organization_id": "org_1", "event_id": "evt_1", "name": "2026",
        "full_name": "Roskilde 2026", "slug": "rf-2026", "timezone": "Europe/Copenhagen",
        "status": "current", "start_date": "2026-06-27", "end_date": "2026-07-04",
        "default_country_code": "+45", "default_language": "da",
        "enabled_languages": ["da", "en"], "tax_type": "vat", "fee_rule_id": None,
        "merchant_account_id": "mac_1", "meta_image_id": None,
        "transaction_receipt_email_id": "eml_1", "refund_confirmation_email_id": "eml_2",
        "is_draft": False, "is_archived": False, "currency": "DKK", "created": TS, "modified": TS,
    },
    EditionHealth: {"ok": False, "checks": [{"code": "no_merchant", "level": "error",
                                            "message": "No merchant account"}]},
    User: {
        "id": "usr_1", "email": "a@b.c", "phone": "+4511", "first_name": "A", "last_name": "B",
        "language": "da", "country_code": "+45", "consents": ["cns_newsletter"],
        "order_count": 3, "total_spent": 999.5, "created": TS, "modified": TS,
    },
    Me: {"id": "usr_9", "email": "ops@x.y", "first_name": "O", "last_name": "P", "phone": None,
         "organizations": [{"id": "org_1", "name": "Org", "role": "admin"}]},
    Campaign: {
        "id": "cmp_1", "name": "Hello", "organization_id": "org_1", "edition_id": "edt_1",
        "segment_id": "seg_1", "channel": "email", "email_message_id": "eml_1",
        "sms_body": None, "status": "sent", "scheduled_at": TS, "total_recipients": 10,
        "sent_count": 9, "failed_count": 1, "user_count": 10, "error_message": None,
        "started_at": TS, "completed_at": TS, "created": TS, "modified": TS,
    },
    CampaignStats: {
        "total_recipients": 10, "sent_count": 9, "failed_count": 1, "delivered_count": 8,
        "opened_count": 5, "clicked_count": 2, "bounced_count": 1, "unsubscribed_count": 0,
        "open_rate": 0.5, "click_rate": 0.2,
        "timeline": [{"at": TS, "sent": 9, "opened": 5, "clicked": 2}],
    },
    Segment: {
        "id": "seg_1", "organization_id": "org_1", "edition_id": "edt_1",
        "consent_id": None, "name": "Danes", "description": "d",
        "communication_type": "transactional", "communication_channel": "email",
        "condition": 'user.language == "da"', "status": "completed", "user_count": 4,
        "last_calculated": TS, "error_message": None, "created": TS, "modified": TS,
    },
    CelValidation: {"valid": False, "estimated_user_count": None,
                    "errors": [{"message": "bad", "line": 1, "column": 3}]},
    CelContext: {"variables": {"user": "{...}"}, "functions": ["size"],
                 "dynamic_values": {"products": [{"id": "prd_1", "name": "Pass"}],
                                    "order_statuses": ["completed"], "order_types": ["online"],
                                    "purchase_statuses": ["active"], "languages": ["da"],
                                    "consents": [{"id": "cns_1", "name": "News"}]}},
    EmailMessage: {
        "id": "eml_1", "title": "Receipt", "subject": "Thanks", "type": "receipt",
        "scope": "edition", "template": "modern", "organization_id": "org_1",
        "edition_id": "edt_1", "blocks": [{"id": "b1", "type": "text", "text": "Hi", "url": None}],
        "created": TS, "modified": TS,
    },
    TemplateVariable: {"name": "user.first_name", "description": "First name", "example": "Ann"},
    Consent: {
        "id": "cns_1", "organization_id": "org_1", "edition_id": None, "name": "Newsletter",
        "description": "d", "channel": "email", "is_active": True, "user_count": 5,
        "created": TS, "modified": TS,
    },
    File: {
        "api_id": "fil_1", "file_name": "a.png", "organization_id": "org_1",
        "file_url": "https://x/a.png", "created_at": TS, "updated_at": TS,
        "usages": [{"model": "edition", "id": "edt_1"}], "image_alt_text": "alt",
        "caption": "c", "copyright": "me", "tags": ["logo"],
    },
    DataImport: {
        "id": "imp_1", "stage": "needs_column_mapping", "name": "Import", "edition_id": "edt_1",
        "service": "csv", "data_file_name": "a.csv", "default_country_code": "+45",
        "total_rows": 10, "imported_orders": 0, "failed_rows": 0, "error_message": None,
        "created": TS, "modified": TS,
    },
    ColumnMapping: {"column": "E-mail", "sample_values": ["a@b.c"], "target": "email"},
    ProductMapping: {"source_name": "VIP", "row_count": 3, "product_id": "prd_1"},
    WebhookEndpoint: {
        "id": "whe_1", "organization_id": "org_1", "name": "Hook", "url": "https://x.test",
        "edition_id": None, "events": ["order.created"], "created": TS, "modified": TS,
        "is_active": True, "timeout_seconds": 5, "secret": "whsec_1",
    },
    WebhookDelivery: {
        "id": "whd_1", "endpoint_id": "whe_1", "event": "order.created", "status": "failed",
        "attempt_count": 2, "response_status": 500, "response_body": "oops",
        "duration_ms": 120, "created": TS, "next_retry_at": TS,
    },
}  # fmt: skip

MODELS = list(EXAMPLES)
OP = Operation("test", "get", "GET", "/v1/test/{id}", "Test")

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _flatten(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _flatten(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(tp) for t in _flatten(arg)]
    return [tp]


def enum_fields(model: type[BaseModel]) -> list[str]:
    return [
        name
        for name, f in model.model_fields.items()
        if any(isinstance(t, type) and issubclass(t, Enum) for t in _flatten(f.annotation))
    ]


def typed_fields(model: type[BaseModel]) -> list[str]:
    """Fields with a definite type (not Any, not a free-form dict)."""
    out = []
    for name, f in model.model_fields.items():
        parts = _flatten(f.annotation)
        if any(t is Any or typing.get_origin(t) is dict or t is dict for t in parts):
            continue
        out.append(name)
    return out


def respond(payload: Any) -> httpx.Response:
    return httpx.Response(200, content=json.dumps(payload).encode(), headers={"X-Request-ID": "r1"})


@st.composite
def tolerant_variant(
    draw: st.DrawFn, model: type[BaseModel]
) -> tuple[dict[str, Any], dict[str, Any], set[str], dict[str, str]]:
    base = dict(EXAMPLES[model])
    optional = [n for n, f in model.model_fields.items() if not f.is_required() and n in base]
    dropped = set(draw(st.lists(st.sampled_from(optional), unique=True))) if optional else set()
    for name in dropped:
        base.pop(name)
    known = set(model.model_fields)
    extras = draw(
        st.dictionaries(
            st.text(min_size=1, max_size=12).filter(lambda k: k not in known),
            json_values,
            max_size=4,
        )
    )
    base.update(extras)
    unknown: dict[str, str] = {}
    for name in enum_fields(model):
        if name in base and isinstance(base[name], str) and draw(st.booleans()):
            value = draw(st.text(min_size=1, max_size=15))
            base[name] = unknown[name] = value
    return base, extras, dropped, unknown


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_full_examples_parse(model: type[BaseModel]) -> None:
    obj = decode(model, respond(EXAMPLES[model]), OP, "/v1/test/x")
    assert isinstance(obj, model)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_tolerant_shapes_parse(model: type[BaseModel], data: st.DataObject) -> None:
    payload, extras, dropped, unknown = data.draw(tolerant_variant(model))
    obj = decode(model, respond(payload), OP, "/v1/test/x")
    assert isinstance(obj, model)
    for key, value in extras.items():
        # kept, after the text-safety boundary (issue 14: control characters made visible)
        assert obj.__pydantic_extra__ is not None
        assert obj.__pydantic_extra__[safe_text(key)] == safe_data(value, key=key)
    for name in dropped:
        assert getattr(obj, name) == model.model_fields[name].get_default(call_default_factory=True)
    for name, value in unknown.items():
        got = getattr(obj, name)
        # kept as-is (an enum member when it happens to be known), terminal-safe (issue 14)
        assert got == safe_data(value, key=name)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_wrong_types_raise_decode_error(model: type[BaseModel], data: st.DataObject) -> None:
    payload = dict(EXAMPLES[model])
    name = data.draw(st.sampled_from(typed_fields(model)))
    example = payload.get(name)
    parts = _flatten(model.model_fields[name].annotation)
    takes_object = any(isinstance(t, type) and issubclass(t, BaseModel) for t in parts)
    if isinstance(example, dict) or takes_object:
        choices: list[Any] = [5, [1]] if str in parts else [5, "text", [1]]
        wrong: Any = data.draw(st.sampled_from(choices))
    elif isinstance(example, list):
        wrong = data.draw(st.sampled_from([5, "text", {"a": 1}]))
    else:
        wrong = data.draw(st.sampled_from([{"a": 1}, [1, 2]]))
    payload[name] = wrong
    with pytest.raises(DecodeError) as info:
        decode(model, respond(payload), OP, "/v1/test/x")
    assert info.value.request_id == "r1" and name in info.value.message


@settings(max_examples=50, deadline=None)
@given(raw=st.binary(max_size=40) | st.text(max_size=40).map(str.encode))
def test_garbage_bodies_raise_decode_error_or_parse(raw: bytes) -> None:
    response = httpx.Response(200, content=raw)
    try:
        result = decode(Page[Order], response, OP, "/v1/test/x")
    except DecodeError:
        return
    assert isinstance(result, Page)  # e.g. "{}" is a valid (empty) page


def test_missing_required_field_is_decode_error() -> None:
    payload = dict(EXAMPLES[RefundRequest])
    del payload["id"]
    with pytest.raises(DecodeError, match="id"):
        decode(RefundRequest, respond(payload), OP, "/v1/test/x")


def test_money_is_decimal_and_timestamps_aware() -> None:
    order = decode(Order, respond(EXAMPLES[Order]), OP, "/v1/test/x")
    assert order.amount == Decimal("250.0") and isinstance(order.amount, Decimal)
    assert order.purchases and order.purchases[0].unit_price == Decimal("120.5")
    assert isinstance(order.created, datetime) and order.created.tzinfo is not None
    naive = dict(EXAMPLES[Order], created="2026-06-01T10:00:00")
    assert decode(Order, respond(naive), OP, "/x").created.utcoffset().total_seconds() == 0
    with pytest.raises(DecodeError):
        decode(Order, respond(dict(EXAMPLES[Order], amount=True)), OP, "/x")
