"""Redaction of secrets for logs and errors."""

from __future__ import annotations

import re
from typing import Any

#: Words that make a key secret: tokens, secrets, passwords, PINs, the Authorization header.
SECRET_WORDS = frozenset(
    {
        "token",
        "tokens",
        "secret",
        "password",
        "passwd",
        "pin",
        "authorization",
        "access",
        "refresh",
        "apikey",
        "cookie",
        "otp",
    }
)
_SPLIT = re.compile(r"[^a-z0-9]+")

REDACTED = "***"


def is_secret_key(key: str) -> bool:
    """``"refresh"``, ``"access_token"``, ``"X-Api-Key"``, ``"pin"`` are secret keys;
    ``"column_mappings"`` or ``"shipping"`` are not (whole words only)."""
    words = [w for w in _SPLIT.split(key.lower()) if w]
    if "api" in words and "key" in words:
        return True
    return any(w in SECRET_WORDS for w in words)


def redact(value: Any) -> Any:
    """A copy of ``value`` (decoded JSON, query params, headers) with secret fields replaced."""
    if isinstance(value, dict):
        return {
            k: (
                REDACTED if isinstance(k, str) and is_secret_key(k) and v is not None else redact(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def secret_values(value: Any) -> list[str]:
    """The string values of secret-named fields anywhere in ``value`` (a request body), so they
    can be scrubbed from whatever the server echoes back."""
    found: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str) and is_secret_key(k) and isinstance(v, str):
                found.append(v)
            else:
                found.extend(secret_values(v))
    elif isinstance(value, list | tuple):
        for v in value:
            found.extend(secret_values(v))
    return found
