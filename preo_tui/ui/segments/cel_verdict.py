"""The server's verdict on a condition: ``ServerVerdict`` and the helpers that build and
describe it (split out of :mod:`preo_tui.ui.segments.cel_editor`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from preo_tui.cel import Diagnostic, position_to_offset, tokenize


@dataclass(frozen=True, slots=True)
class ServerVerdict:
    """The server's answer to ``validate-cel``, independent of the client's model."""

    valid: bool
    estimated: int | None = None
    total: int | None = None
    exact: bool | None = None
    errors: tuple[Diagnostic, ...] = ()


Validator = Callable[[str], Awaitable[ServerVerdict]]


def estimate_text(verdict: ServerVerdict) -> str:
    if verdict.estimated is None:
        return "no estimate from the server"
    count = f"≈ {verdict.estimated:,}"
    noun = "user" if verdict.estimated == 1 and verdict.total is None else "users"
    if verdict.total is not None:
        return f"{count} of {verdict.total:,} users"
    return f"{count} {noun}"


def parse_server_condition_errors(text: str, messages: Sequence[str]) -> list[Diagnostic]:
    """Turn a 400's ``condition`` messages ("line 1, column 6: msg; line 2, ...") into
    diagnostics at their positions (the whole first line when a message has none)."""
    import re

    pattern = re.compile(r"line (\d+), column (\d+): (.*?)(?=; line \d+, column \d+: |$)")
    out: list[Diagnostic] = []
    for message in messages:
        found = False
        for m in pattern.finditer(message):
            line, column = int(m.group(1)), int(m.group(2))
            out.append(_span_diagnostic(text, line, column, m.group(3).strip()))
            found = True
        if not found:
            out.append(_span_diagnostic(text, 1, 1, message.strip()))
    return out


def _span_diagnostic(text: str, line: int, column: int, message: str) -> Diagnostic:
    """A diagnostic at (line, column) spanning the token that starts there (at least 1)."""
    offset = position_to_offset(text, line, column)
    end = offset + 1
    for tok in tokenize(text):
        if tok.start <= offset < tok.end:
            end = tok.end
            break
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    end = max(offset + 1, min(end, line_end))
    return Diagnostic(line, column, column + (end - offset), message, "server")


def server_verdict_from(model: Any, text: str) -> ServerVerdict:
    """Build a :class:`ServerVerdict` from the client's ``CelValidation`` model."""
    valid = bool(getattr(model, "valid", False))
    # [ours] extras of the sandbox's answer: the population and whether the count is exact.
    extra: dict[str, Any] = dict(getattr(model, "model_extra", None) or {})
    total = getattr(model, "total_user_count", extra.get("total_user_count"))
    exact = getattr(model, "estimate_exact", extra.get("estimate_exact"))
    errors = []
    for err in getattr(model, "errors", []) or []:
        line = getattr(err, "line", None) or 1
        column = getattr(err, "column", None) or 1
        errors.append(_span_diagnostic(text, int(line), int(column), str(err.message)))
    estimated = getattr(model, "estimated_user_count", None)
    return ServerVerdict(
        valid=valid,
        estimated=int(estimated) if isinstance(estimated, int) else None,
        total=int(total) if isinstance(total, int) and not isinstance(total, bool) else None,
        exact=exact if isinstance(exact, bool) else None,
        errors=tuple(errors),
    )
