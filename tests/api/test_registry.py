"""The operation registry: complete, consistent with the contract's count, and every path and
method served by the sandbox (so a path typo in one resource module cannot hide)."""

from __future__ import annotations

from collections import Counter

from preo_tui.api import ALL_OPERATIONS, RESOURCES, PreoClient
from tests.fixtures.sandbox import make_sandbox


def test_every_resource_method_is_registered() -> None:
    for attr, cls in RESOURCES.items():
        assert cls.name == attr
        for name, op in cls.operations.items():
            assert op.resource == attr and op.name == name
            method = getattr(cls, name, None) or getattr(cls, f"iter_{name}", None)
            assert callable(method), f"{attr}.{name} has no method"
    keys = [op.key for op in ALL_OPERATIONS]
    assert len(keys) == len(set(keys)) == 85
    assert PreoClient.operations() == ALL_OPERATIONS
    assert Counter(op.method for op in ALL_OPERATIONS) == {
        "GET": 35, "POST": 33, "PATCH": 11, "DELETE": 6,
    }  # fmt: skip


def test_every_operation_is_served_by_the_sandbox() -> None:
    box = make_sandbox()
    try:
        paths = box.app.openapi()["paths"]
        served = {(method.upper(), path) for path, item in paths.items() for method in item}
    finally:
        box.db.close()
    missing = [op.key for op in ALL_OPERATIONS if (op.method, op.path) not in served]
    assert missing == []


def test_paths_are_v1_without_trailing_slash() -> None:
    for op in ALL_OPERATIONS:
        assert op.path.startswith("/v1/") and not op.path.endswith("/"), op.key
        assert op.mark in ("doc", "ours")
