"""A test-only ASGI wrapper around the sandbox that makes it differ from the contract the way
a real server might: some routes live under another name, some answers lack a field."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

ASGIApp = Any


@dataclass
class Differences:
    #: ``(method, served path regex with named groups, contract path template)``: the route
    #: is served at the first and no longer at the second (which answers the framework's 404).
    renames: list[tuple[str, str, str]] = field(default_factory=list)
    #: ``(method, path regex, field)``: answers there lack ``field`` (objects and results).
    dropped: list[tuple[str, str, str]] = field(default_factory=list)


def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", r"[^/]+", re.escape(template)) + "$")


def differing(app: ASGIApp, diff: Differences) -> ASGIApp:
    """``app`` with ``diff`` applied (paths rewritten before routing, fields removed after)."""
    served = [(m, re.compile(f"^{p}$"), t) for m, p, t in diff.renames]
    hidden = [(m, _template_regex(t)) for m, _, t in diff.renames]
    drops = [(m, re.compile(f"^{p}$"), f) for m, p, f in diff.dropped]

    async def wrapper(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        for m, pattern in hidden:
            if m == method and pattern.match(path):
                body = b'{"detail":"Not Found"}'
                await send(
                    {
                        "type": "http.response.start",
                        "status": 404,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        for m, pattern, template in served:
            match = pattern.match(path)
            if m == method and match:
                new_path = template.format(**match.groupdict())
                scope = {**scope, "path": new_path, "raw_path": new_path.encode()}
                break
        names = [f for m, pattern, f in drops if m == method and pattern.match(scope["path"])]
        if not names:
            await app(scope, receive, send)
            return
        await app(scope, receive, _dropping(send, names))

    return wrapper


def _dropping(send: Any, names: list[str]) -> Any:
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def wrapped(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body = b"".join(chunks)
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if data is not None:
            for item in data.get("results", [data]) if isinstance(data, dict) else data:
                if isinstance(item, dict):
                    for name in names:
                        item.pop(name, None)
            body = json.dumps(data).encode()
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return wrapped
