"""The Preo servers: the built-in profiles' URLs, URL validation (:func:`normalize_server`)
and what kind of server a URL is (:func:`classify_server`, :class:`Environment`)."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from urllib.parse import urlsplit

DEVELOPMENT_SERVER = "https://api.preo.dev"
STAGING_SERVER = "https://api-staging.preo.dev"
PRODUCTION_SERVER = "https://api.preo.cloud"
#: The built-in sandbox profile has no fixed server: ``--sandbox`` starts one on a free
#: loopback port and binds the profile to it with :meth:`Profile.with_server`.
SANDBOX_PLACEHOLDER_SERVER = "http://127.0.0.1"
SANDBOX_PROFILE = "sandbox"

BUILTIN_SERVERS: dict[str, str] = {
    "development": DEVELOPMENT_SERVER,
    "staging": STAGING_SERVER,
    "production": PRODUCTION_SERVER,
    SANDBOX_PROFILE: SANDBOX_PLACEHOLDER_SERVER,
}


# --------------------------------------------------------------------------------------------
# Servers and environments


class Environment(StrEnum):
    """What kind of server a profile talks to; drives the header badge and safety prompts."""

    PRODUCTION = "production"
    STAGING = "staging"
    DEVELOPMENT = "development"
    SANDBOX = "sandbox"
    CUSTOM = "custom"


def normalize_server(url: str) -> str:
    """Validate a server URL and return it without a trailing slash.

    Raises ``ValueError`` with an operator-readable message for anything that is not an
    ``http``/``https`` URL with a host.
    """
    text = url.strip()
    if not text:
        raise ValueError("the server URL is empty")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"server URL {text!r} must start with http:// or https://")
    if not parts.hostname:
        raise ValueError(f"server URL {text!r} has no host")
    try:
        _ = parts.port
    except ValueError as exc:
        raise ValueError(f"server URL {text!r} has an invalid port") from exc
    if parts.query or parts.fragment:
        raise ValueError(f"server URL {text!r} must not have a query or fragment")
    return text.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def classify_server(url: str) -> Environment:
    """Classify a server URL.

    Production is any host under ``preo.cloud`` (``api.preo.cloud`` is the published one; a
    custom profile pointing there is production too, and erring towards the red badge is the
    safe side). Staging is ``api-staging.preo.dev``, development any other ``preo.dev`` host,
    sandbox any loopback host, everything else custom.
    """
    host = (urlsplit(url.strip()).hostname or "").lower().rstrip(".")
    if host == "preo.cloud" or host.endswith(".preo.cloud"):
        return Environment.PRODUCTION
    if host == "api-staging.preo.dev":
        return Environment.STAGING
    if host == "preo.dev" or host.endswith(".preo.dev"):
        return Environment.DEVELOPMENT
    if _is_loopback(host):
        return Environment.SANDBOX
    return Environment.CUSTOM
