"""JWT access/refresh tokens (pyjwt, HS256) and password hashing for the sandbox.

Access tokens live 15 minutes, refresh tokens 7 days (contract §2); the static per-role tokens
printed at start-up are access tokens that live ten years. Expiry is checked against
:func:`preo_tui.sandbox.clock.now`, so a frozen or travelled clock in tests behaves.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt

from . import clock
from .errors import ApiError

ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=7)
STATIC_TTL = timedelta(days=3650)
ALGORITHM = "HS256"


def hash_password(password: str, salt: str | None = None) -> str:
    """``pbkdf2_sha256$<iterations>$<salt>$<hex>`` (cheap iterations: it's a sandbox)."""
    salt = salt or secrets.token_hex(8)
    iterations = 2000
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, iterations, salt, digest = stored.split("$")
        got = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def token_invalid(detail: str = "Token is invalid or expired") -> ApiError:
    """The contract's 401 for a bad or expired token."""
    return ApiError(
        401, detail, code="token_not_valid", headers={"WWW-Authenticate": 'Bearer realm="api"'}
    )


@dataclass(frozen=True)
class TokenClaims:
    account_id: str
    kind: str  # "access" or "refresh"
    static: bool


class TokenService:
    """Issues and verifies the sandbox's JWTs with one HMAC secret."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def issue(self, account_id: str, kind: str, *, static: bool = False) -> str:
        issued = clock.now()
        ttl = STATIC_TTL if static else (ACCESS_TTL if kind == "access" else REFRESH_TTL)
        claims: dict[str, Any] = {
            "sub": account_id,
            "token_type": kind,
            "iat": int(issued.timestamp()),
            "exp": int((issued + ttl).timestamp()),
            "jti": secrets.token_hex(8),
        }
        if static:
            claims["static"] = True
        return str(jwt.encode(claims, self.secret, algorithm=ALGORITHM))

    def pair(self, account_id: str) -> dict[str, str]:
        """``{"access": ..., "refresh": ...}`` for a login."""
        return {
            "access": self.issue(account_id, "access"),
            "refresh": self.issue(account_id, "refresh"),
        }

    def decode(self, token: str, kind: str) -> TokenClaims:
        """Verify signature, type and expiry; 401 ``token_not_valid`` otherwise."""
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                options={"verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError:
            raise token_invalid("Token is invalid") from None
        if claims.get("token_type") != kind or not isinstance(claims.get("sub"), str):
            raise token_invalid(f"Token has wrong type; expected an {kind} token")
        exp = claims.get("exp")
        if not isinstance(exp, int) or exp <= int(clock.now().timestamp()):
            raise token_invalid("Token expired")
        return TokenClaims(str(claims["sub"]), kind, bool(claims.get("static")))

    def subject_unverified_expiry(self, token: str) -> str | None:
        """The subject of a correctly signed token, expired or not (for idempotency keys)."""
        try:
            claims = jwt.decode(
                token, self.secret, algorithms=[ALGORITHM], options={"verify_exp": False}
            )
        except jwt.PyJWTError:
            return None
        sub = claims.get("sub")
        return sub if isinstance(sub, str) else None
