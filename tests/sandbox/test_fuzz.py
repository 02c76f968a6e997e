"""Property test against ``/openapi.json``: random parameters and bodies never cause a 500.

Every operation of the generated OpenAPI document is called with Hypothesis-generated path
ids (real ones and junk), query values and JSON bodies (the schema's own field names with
values of random types, enum values included). The sandbox must answer each with a 2xx/4xx
contract body. Bounded: a fixed number of examples, no deadline.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any
from urllib.parse import quote

import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.sandbox import SANDBOX_NOW, make_sandbox

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "-created",
            "true",
            "false",
            "2026-07-03T10:00:00Z",
            "+4520000001",
            "requested",
            "email",
            "da",
            "se",
            "prd_vip",
            "cns_newsletter",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (m.upper(), p, op)
        for p, item in sorted(spec["paths"].items())
        for m, op in sorted(item.items())
    ]


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def enums(spec: dict[str, Any], schema: dict[str, Any]) -> list[Any]:
    schema = resolve(spec, schema)
    found = list(schema.get("enum", []))
    for sub in schema.get("anyOf", []) + schema.get("oneOf", []):
        found += enums(spec, sub)
    return found


@st.composite
def request_for(
    draw: Any, spec: dict[str, Any], ids: list[str]
) -> tuple[str, str, dict[str, Any], Any]:
    method, path, op = draw(st.sampled_from(operations(spec)))
    params: dict[str, Any] = {}
    for param in op.get("parameters", []):
        name, where = param["name"], param["in"]
        choices = enums(spec, param.get("schema", {}))
        if where == "path":
            value = draw(
                st.sampled_from(ids)
                | st.text(min_size=1, max_size=12).filter(lambda s: s not in (".", ".."))
            )
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        elif where == "query" and draw(st.booleans()):
            params[name] = draw(
                st.sampled_from(choices)
                if choices and draw(st.booleans())
                else scalars.map(lambda v: "" if v is None else str(v))
            )
    body: Any = None
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content and draw(st.integers(0, 5)) > 0:
        schema = resolve(spec, content["application/json"].get("schema", {}))
        props = schema.get("properties", {})
        if schema.get("type") == "array" or not props:
            body = draw(values)
        else:
            body = {}
            for key, sub in props.items():
                if draw(st.booleans()):
                    choices = enums(spec, sub)
                    body[key] = draw(
                        st.sampled_from(choices) if choices and draw(st.booleans()) else values
                    )
            if draw(st.integers(0, 9)) == 0:
                body = draw(values)
    return method, path, params, body


def test_no_operation_answers_500() -> None:
    loop = asyncio.new_event_loop()
    with time_machine.travel(SANDBOX_NOW, tick=False):
        box = make_sandbox()
        spec = box.app.openapi()
        ids = [
            str(r[0])
            for table in (
                "editions",
                "orders",
                "purchases",
                "refund_requests",
                "users",
                "consents",
                "files",
                "data_imports",
                "webhook_endpoints",
                "webhook_deliveries",
                "segments",
                "campaigns",
                "email_messages",
            )
            for r in box.db.query(f"SELECT id FROM {table} ORDER BY pk LIMIT 2")
        ]
        client = box.client()
        loop.run_until_complete(box.start())
        seen: list[tuple[str, str, int]] = []

        @settings(
            max_examples=int(os.environ.get("SANDBOX_FUZZ_EXAMPLES", "600")),
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(request_for(spec, ids))
        def check(req: tuple[str, str, dict[str, Any], Any]) -> None:
            method, path, params, body = req
            kwargs: dict[str, Any] = {"params": params}
            if body is not None:
                kwargs["json"] = body
            response = loop.run_until_complete(client.request(method, path, **kwargs))
            seen.append((method, path, response.status_code))
            assert response.status_code < 500, (method, path, params, body, response.text)
            if response.status_code >= 400 and response.headers.get("content-type", "").startswith(
                "application/json"
            ):
                payload = response.json()
                assert isinstance(payload, dict) and payload
                if response.status_code != 400:
                    assert "detail" in payload

        try:
            check()
        finally:
            loop.run_until_complete(box.stop())
            loop.close()
    assert len({p for _, p, _ in seen}) > 40  # most operations were exercised
