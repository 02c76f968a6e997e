"""Neighbour paths for an operation the server lacks.

When ``GET /v1/consents`` answers 404, the server may speak the same operation under a
neighbouring name: the singular or plural form of a segment, ``_`` for ``-`` (or the reverse),
the reference's tag name for the resource (``/v1/refunds`` for refund requests), or DRF's
default trailing slash. Doctor tries these, in this order, and *suggests* the first that
answers as the operation should (2xx, decoded by the client's model) as a profile override.
Nothing is ever applied silently.
"""

from __future__ import annotations

from collections.abc import Iterator

#: The reference's tag for each resource, as a path segment (its naming pattern).
TAG_SEGMENTS = {
    "refunds": ("refunds", "refund-requests", "refund_requests"),
    "email_messages": ("email-messages", "emails", "email_messages"),
    "data_imports": ("data-imports", "imports", "data_imports"),
    "webhooks": ("webhooks", "webhook-endpoints", "webhook_endpoints"),
    "users": ("users", "user", "customers"),
}

#: At most this many candidates per operation (each one is a request).
MAX_CANDIDATES = 24


def _singular(word: str) -> str | None:
    for tail, repl in (("ies", "y"), ("sses", "ss"), ("s", "")):
        if word.endswith(tail) and len(word) > len(tail) + 1:
            return word[: -len(tail)] + repl
    return None


def _plural(word: str) -> str:
    if word.endswith("y") and not word.endswith(("ay", "ey", "oy", "uy")):
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("s", "x", "ch", "sh")) else "s")


def segment_variants(segment: str) -> list[str]:
    """Other spellings of one literal path segment (never ``{id}`` nor ``v1``)."""
    if segment.startswith("{") or segment in ("v1", ""):
        return []
    out: list[str] = []
    # The last word carries the number: "column-mappings" -> "column-mapping".
    for sep in ("-", "_"):
        if sep in segment:
            head, _, last = segment.rpartition(sep)
            single = _singular(last)
            if single:
                out.append(f"{head}{sep}{single}")
            else:
                out.append(f"{head}{sep}{_plural(last)}")
    if "-" not in segment and "_" not in segment:
        single = _singular(segment)
        out.append(single if single else _plural(segment))
    if "-" in segment:
        out.append(segment.replace("-", "_"))
    if "_" in segment:
        out.append(segment.replace("_", "-"))
    if "-" in segment or "_" in segment:
        out.append(segment.replace("-", "").replace("_", ""))
    return [v for v in dict.fromkeys(out) if v and v != segment]


def candidates(resource: str, path: str) -> Iterator[str]:
    """Neighbour paths of ``path``, nearest first, each at most once, never ``path``."""
    seen = {path}
    parts = path.split("/")

    def emit(candidate: str) -> Iterator[str]:
        if candidate not in seen and len(seen) <= MAX_CANDIDATES:
            seen.add(candidate)
            yield candidate

    literal = [i for i, part in enumerate(parts) if part and not part.startswith("{")]
    # One segment respelled, the last segment first (actions and sub-collections).
    for index in reversed(literal):
        for variant in segment_variants(parts[index]):
            yield from emit("/".join([*parts[:index], variant, *parts[index + 1 :]]))
    # The resource segment named after the reference's tag.
    if len(parts) > 2:
        for name in TAG_SEGMENTS.get(resource, ()):
            yield from emit("/".join([*parts[:2], name, *parts[3:]]))
    # DRF's default router ends every path with a slash.
    yield from emit(path + "/")
    # Two respellings at once (a resource and its action both renamed).
    for first in literal:
        for second in literal:
            if second <= first:
                continue
            for a in segment_variants(parts[first]):
                for b in segment_variants(parts[second]):
                    changed = list(parts)
                    changed[first], changed[second] = a, b
                    yield from emit("/".join(changed))
