"""The client's exception hierarchy.

Every failure the client raises is a :class:`PreoError`. Each carries the HTTP ``method``, the
``path`` (without query string), the ``status`` (``None`` when no response arrived), the
``request_id`` (the server's ``X-Request-ID`` when it sent one, else the one the client sent)
and a human ``message``. Secrets never reach an error: the client scrubs its current tokens
from every message it builds (see ``_scrub``), and no error keeps the request headers.

Status mapping (see ``_errormap.error_from_response``):

==========  =======================================================================
400, 422    :class:`ValidationFailed` with per-field messages (``fields``)
401         :class:`AuthError` (``code`` is the body's ``code``, e.g. ``token_not_valid``)
403         :class:`PermissionDenied`
404         :class:`NotFound` for a missing object, :class:`Unsupported` for a missing
            endpoint (rule in ``_errormap.is_missing_endpoint``)
405         :class:`Unsupported`
409         :class:`Conflict`
429         :class:`RateLimited` with ``retry_after`` seconds (or ``None``)
5xx         :class:`ServerError`
no answer   :class:`NetworkError` (timeouts, refused or dropped connections)
==========  =======================================================================
"""

from __future__ import annotations

from typing import Any

from preo_tui.text import safe_data, safe_text


class PreoError(Exception):
    """Base of every error the Preo client raises."""

    default_message = "The Preo API request failed"

    def __init__(
        self,
        message: str | None = None,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
        detail: Any = None,
        operation: str | None = None,
    ) -> None:
        # Text safety: messages and bodies come from a server; they reach toasts and dialogs.
        self.message = safe_text(message or self.default_message, multiline=True)
        #: The client operation, e.g. ``"refunds.approve"`` (see ``ALL_OPERATIONS``).
        self.operation = operation
        self.method = method
        self.path = path
        self.status = status
        self.request_id = safe_text(request_id) if request_id is not None else None
        #: The decoded error body (already scrubbed of secrets, terminal-safe), when there was one.
        self.detail = safe_data(detail)
        super().__init__(self.message)

    @property
    def where(self) -> str:
        """``"POST /v1/refund-requests/rfr_1/approve"`` or ``""``."""
        if self.method and self.path:
            return f"{self.method} {self.path}"
        return self.path or ""

    def __str__(self) -> str:
        parts = [self.message]
        extra = []
        if self.where:
            extra.append(self.where)
        if self.status is not None:
            extra.append(f"HTTP {self.status}")
        if self.request_id:
            extra.append(f"request {self.request_id}")
        if extra:
            parts.append(f"({', '.join(extra)})")
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, method={self.method!r}, "
            f"path={self.path!r}, status={self.status!r}, request_id={self.request_id!r})"
        )


class AuthError(PreoError):
    """401: not signed in, the token expired and could not be refreshed, or wrong credentials."""

    default_message = "Not authenticated"

    def __init__(self, message: str | None = None, *, code: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        #: The body's machine-readable ``code`` (``token_not_valid`` for an expired token).
        self.code = code


class InvalidToken(AuthError):
    """A token that cannot be sent (spaces or line breaks inside it, non-ASCII characters):
    refused before anything is sent, with a message saying what is wrong (issue 14)."""

    default_message = "The token is not valid"

    def __init__(self, message: str | None = None, **kw: Any) -> None:
        super().__init__(message, code="invalid_token", **kw)


def check_token(value: str, what: str = "access token") -> str:
    """``value`` with surrounding whitespace trimmed; :class:`InvalidToken` when it is empty,
    holds whitespace inside, or holds anything but printable ASCII (an HTTP header cannot carry
    it; a token never has it). The message never repeats the token."""
    token = value.strip()
    if not token:
        raise InvalidToken(f"The {what} is empty.")
    if any(ch.isspace() for ch in token):
        raise InvalidToken(
            f"The {what} contains spaces or line breaks: paste it again as one line."
        )
    if not token.isascii() or not token.isprintable():
        raise InvalidToken(
            f"The {what} contains characters that are not plain ASCII (a token never does):"
            " check what was pasted."
        )
    return token


class PermissionDenied(PreoError):
    """403: signed in, but the role does not allow this."""

    default_message = "Permission denied"


class NotFound(PreoError):
    """404 on an object: it does not exist (or is not visible to this user)."""

    default_message = "Not found"


class Conflict(PreoError):
    """409: the action is not allowed in the object's current state."""

    default_message = "Conflict with the object's current state"


class ValidationFailed(PreoError):
    """400 (or 422): the server rejected the input. ``fields`` maps a field to its messages;
    errors not tied to a field are under ``"non_field_errors"``."""

    default_message = "The server rejected the input"

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: dict[str, list[str]] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.fields: dict[str, list[str]] = safe_data(fields or {})

    def messages_for(self, field: str) -> list[str]:
        return self.fields.get(field, [])


class RateLimited(PreoError):
    """429: too many requests. ``retry_after`` is in seconds, ``None`` when not given."""

    default_message = "Rate limited by the server"

    def __init__(
        self, message: str | None = None, *, retry_after: float | None = None, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(PreoError):
    """5xx: the server failed (after the client's retries, when the request was retryable)."""

    default_message = "The server failed to answer"


class NetworkError(PreoError):
    """No usable answer: timeout, refused, reset or dropped connection."""

    default_message = "Could not reach the server"


class Unsupported(PreoError):
    """The server lacks this endpoint (404 on a route, or 405): the feature is not available
    on this server; the rest of the client keeps working."""

    default_message = "Not supported by this server"


class ReadOnlyError(PreoError):
    """The client is read-only and refused to send a write. Nothing was sent."""

    default_message = "Read-only mode: this change was not sent"


class DecodeError(PreoError):
    """The answer could not be decoded (not JSON, or not the expected shape)."""

    default_message = "The server's answer could not be understood"


def scrub(text: str, secrets: list[str]) -> str:
    """Replace every secret (token) occurring in ``text`` with ``***``."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and len(secret) >= 4 and secret in text:
            text = text.replace(secret, "***")
    return text


def scrub_value(value: Any, secrets: list[str]) -> Any:
    """A decoded error body made safe to keep: every known secret (the client's tokens and the
    secret values it sent, such as a password or PIN) replaced inside every string, and a
    secret-named key holding a plain string (``{"token": "..."}``) redacted. Messages about a
    secret field (``{"pin": ["Incorrect PIN; 4 tries left."]}``) are kept: operators need them."""
    from ._redact import REDACTED, is_secret_key

    def walk(item: Any) -> Any:
        if isinstance(item, dict):
            return {
                k: (
                    REDACTED
                    if isinstance(k, str) and is_secret_key(k) and isinstance(v, str)
                    else walk(v)
                )
                for k, v in item.items()
            }
        if isinstance(item, list):
            return [walk(v) for v in item]
        return item

    return _scrub_strings(walk(value), secrets)


def _scrub_strings(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {k: _scrub_strings(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_strings(v, secrets) for v in value]
    return value


__all__ = [
    "AuthError",
    "Conflict",
    "DecodeError",
    "InvalidToken",
    "NetworkError",
    "NotFound",
    "PermissionDenied",
    "PreoError",
    "RateLimited",
    "ReadOnlyError",
    "ServerError",
    "Unsupported",
    "ValidationFailed",
]
