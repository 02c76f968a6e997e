"""One place that turns failures into words for the operator.

Every worker failure in the app ends in :func:`describe_error`, which maps the client's
``PreoError`` hierarchy (``AuthError``, ``PermissionDenied``, ``NotFound``, ``Conflict``,
``ValidationFailed``, ``RateLimited``, ``ServerError``, ``NetworkError``, ``Unsupported``,
``ReadOnlyError``, ``DecodeError``) onto a title, a message and a severity. The mapping goes by
class name along the exception's MRO so a subclass the client adds later still lands on its
parent's wording. Nothing here ever shows a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["information", "warning", "error"]


@dataclass(frozen=True, slots=True)
class ErrorReport:
    """What to tell the operator about a failure."""

    title: str
    message: str
    severity: Severity
    kind: str
    #: the server's field errors for forms (``ValidationFailed.fields``)
    fields: dict[str, list[str]] | None = None
    request_id: str | None = None

    def toast_text(self) -> str:
        text = self.message
        if self.request_id:
            text += f"\n(request {self.request_id})"
        return text


_TITLES: dict[str, tuple[str, Severity]] = {
    "AuthError": ("Signed out", "error"),
    "PermissionDenied": ("Not allowed", "error"),
    "NotFound": ("Not found", "warning"),
    "Conflict": ("Conflict", "warning"),
    "ValidationFailed": ("Invalid input", "error"),
    "RateLimited": ("Slow down", "warning"),
    "ServerError": ("Server error", "error"),
    "NetworkError": ("Server unreachable", "error"),
    "Unsupported": ("Not supported by this server", "warning"),
    "ReadOnlyError": ("Read-only", "warning"),
    "OfflineError": ("Offline", "warning"),
    "DecodeError": ("Unexpected answer", "error"),
    "PreoError": ("Request failed", "error"),
}


def error_kind(exc: BaseException) -> str:
    """The name of the first class in the exception's MRO that the mapping knows."""
    for klass in type(exc).__mro__:
        if klass.__name__ in _TITLES:
            return klass.__name__
    return type(exc).__name__


def _fields_text(fields: dict[str, list[str]]) -> str:
    parts = []
    for name, messages in fields.items():
        label = "" if name in ("non_field_errors", "__all__") else f"{name}: "
        parts.append(label + " ".join(str(m) for m in messages))
    return "; ".join(parts)


def describe_error(exc: BaseException) -> ErrorReport:
    """Map any exception onto an :class:`ErrorReport` (never raises)."""
    kind = error_kind(exc)
    title, severity = _TITLES.get(kind, ("Something went wrong", "error"))
    message = str(getattr(exc, "message", "") or "").strip() or str(exc).strip()
    fields = getattr(exc, "fields", None)
    if not isinstance(fields, dict):
        fields = None
    request_id = getattr(exc, "request_id", None)
    if kind == "ValidationFailed" and fields:
        message = _fields_text(fields) or message
    elif kind == "RateLimited":
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            message = (
                f"{message} — retry in {retry_after:.0f} s"
                if message
                else f"retry in {retry_after:.0f} s"
            )
    elif kind == "ReadOnlyError":
        message = message or "This profile is read-only: writes are blocked."
    elif kind == "NetworkError":
        message = message or "The server could not be reached."
    elif kind == "Unsupported":
        # The title already says it; the message names the operation, its path and doctor.
        message = message.removeprefix("Not supported by this server: ").replace(
            "(preo-tui doctor)", "(palette: “Check this server”, or preo-tui doctor)"
        )
        message = message or "This server does not offer that feature."
    elif kind not in _TITLES:
        # An unexpected exception (a bug): one line, no traceback; the log has the details.
        message = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    if len(message) > 400:
        message = message[:397] + "…"
    return ErrorReport(
        title=title,
        message=message or title,
        severity=severity,
        kind=kind,
        fields=fields,
        request_id=request_id if isinstance(request_id, str) else None,
    )
