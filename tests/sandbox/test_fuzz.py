"""Property test against ``/openapi.json``: random parameters and bodies never cause a 500.

Every operation of the generated OpenAPI document is called with Hypothesis-generated path
ids (real ones and junk), query values and JSON bodies (the schema's own field names with
values of random types, enum values included). The sandbox must answer each with a 2xx/4xx
contract body. Bounded: a fixed number of examples (``SANDBOX_FUZZ_EXAMPLES``, default 600)
and a time budget (``SANDBOX_FUZZ_SECONDS``, default 120: examples after it are skipped), no
per-example deadline. Issue 14 added the hostile values that used to answer 500: dates at the
edge of the calendar, very long strings, NUL characters, ordering with thousands of terms,
``NaN`` and deeply nested bodies. An exception escaping the app (what drops a real connection)
fails the test: ``ASGITransport`` re-raises it. The figures (requests tried, statuses, 5xx = 0)
are printed and written to ``SANDBOX_FUZZ_REPORT`` when set.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from typing import Any
from urllib.parse import quote

import httpx
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
            # issue 14: the values that used to answer 500
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "a\x00b",
            "a" * 20_000,  # (several at once must stay under httpx's URL limit)
            ",".join(["created", "-created"] * 2000),
            "NaN",
            "١٢٣٤٥٦",
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


#: A JSON body nested 100,000 deep (sent as raw bytes; Python's json cannot build it).
DEEP = b"[" * 100_000 + b"]" * 100_000


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
    if "application/json" in content and draw(st.integers(0, 40)) == 0:
        return method, path, params, DEEP
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
        budget = float(os.environ.get("SANDBOX_FUZZ_SECONDS", "120"))
        started = time.monotonic()
        skipped = [0]
        unsendable = [0]

        @settings(
            max_examples=int(os.environ.get("SANDBOX_FUZZ_EXAMPLES", "600")),
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(request_for(spec, ids))
        def check(req: tuple[str, str, dict[str, Any], Any]) -> None:
            method, path, params, body = req
            if time.monotonic() - started > budget:
                skipped[0] += 1
                return
            kwargs: dict[str, Any] = {"params": params}
            if body is DEEP:
                kwargs["content"] = DEEP
                kwargs["headers"] = {"Content-Type": "application/json"}
            elif body is not None:
                kwargs["json"] = body
            try:
                response = loop.run_until_complete(client.request(method, path, **kwargs))
            except httpx.InvalidURL:  # several long values: over httpx's own URL limit
                unsendable[0] += 1
                return
            seen.append((method, path, response.status_code))
            shown = "<100,000-deep JSON>" if body is DEEP else body
            assert response.status_code < 500, (method, path, params, shown, response.text)
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
            figures = {
                "requests": len(seen),
                "resources": len(
                    {(m, p.split("/")[2] if p.count("/") > 1 else p) for m, p, _ in seen}
                ),
                "paths": len({p for _, p, _ in seen}),
                "status_counts": dict(sorted(Counter(str(s) for _, _, s in seen).items())),
                "5xx": sum(1 for _, _, s in seen if s >= 500),
                "skipped_after_budget": skipped[0],
                "not_sendable_url_too_long": unsendable[0],
                "seconds": round(time.monotonic() - started, 1),
            }
            print("sandbox fuzz:", json.dumps(figures))
            if os.environ.get("SANDBOX_FUZZ_REPORT"):
                with open(os.environ["SANDBOX_FUZZ_REPORT"], "w", encoding="utf-8") as f:
                    json.dump(figures, f, indent=2)
    assert figures["5xx"] == 0
    assert len({p for _, p, _ in seen}) > 40  # most operations were exercised
