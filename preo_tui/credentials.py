"""Credentials: the access and refresh tokens of each profile and server.

Tokens live in the system keyring when a usable one is available (the ``fail`` and ``null``
backends, a chainer with no real backend, or a backend that errors at use time all count as
unusable) and otherwise in ``credentials.json`` in the user data directory, created 0600
(atomic replace, independent of the umask, permissions repaired when found wrong). They are
never written to the configuration file, never logged, and :class:`Tokens` redacts itself in
``repr``/``str``.

``PREO_KEYRING=off`` forces the file (tests and headless hosts); ``PREO_KEYRING=on`` insists on
the keyring. The key of an entry is ``"<profile>@<server>"``, so two profiles pointing at the
same server keep separate sessions.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import stat
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preo_tui.config import Profile, data_dir, normalize_server

if TYPE_CHECKING:
    from preo_tui.api import PreoClient

log = logging.getLogger(__name__)

SERVICE = "preo-tui"
FILENAME = "credentials.json"
#: who last signed in with each stored token (no secret): see :class:`UserHints`
USERS_FILENAME = "credentials-users.json"
ENV_KEYRING = "PREO_KEYRING"
FILE_MODE = 0o600


class CredentialError(Exception):
    """The credential store cannot be used (message meant for the operator)."""


@dataclass(frozen=True, slots=True)
class Tokens:
    """An access token and (optionally) its refresh token. Never shown: ``repr`` redacts."""

    access: str
    refresh: str | None = None

    def __repr__(self) -> str:
        refresh = "None" if self.refresh is None else "'***'"
        return f"Tokens(access='***', refresh={refresh})"

    __str__ = __repr__

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret string held (for scrubbing and for keeping them out of caches)."""
        return tuple(s for s in (self.access, self.refresh) if s)

    @property
    def subject(self) -> str | None:
        """The ``sub`` claim of the access token when it is a JWT (read without checking the
        signature: it only names the cache file of this user), else ``None``."""
        try:  # the payload segment, unverified (it only names a cache file): no pyjwt import
            payload = self.access.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except Exception:
            return None
        sub = claims.get("sub") if isinstance(claims, dict) else None
        return str(sub) if sub is not None else None

    def to_json(self) -> dict[str, str | None]:
        return {"access": self.access, "refresh": self.refresh}

    @classmethod
    def from_json(cls, data: Any) -> Tokens | None:
        if not isinstance(data, Mapping):
            return None
        access = data.get("access")
        refresh = data.get("refresh")
        if not isinstance(access, str) or not access:
            return None
        return cls(access=access, refresh=refresh if isinstance(refresh, str) else None)


def entry_key(profile: str, server: str) -> str:
    return f"{profile}@{normalize_server(server)}"


# --------------------------------------------------------------------------------------------
# Keyring detection


def usable_keyring() -> Any | None:
    """The active keyring backend when it can really store secrets, else ``None``."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null
    except Exception:  # pragma: no cover - keyring is a dependency, but be safe
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(backend, fail.Keyring | null.Keyring):
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    try:
        if float(backend.priority) <= 0:
            return None
    except Exception:
        return None
    return backend


# --------------------------------------------------------------------------------------------
# The 0600 file


def _ensure_private(path: Path) -> None:
    """Repair the permissions of an existing secrets file (``chmod 600``)."""
    with contextlib.suppress(FileNotFoundError):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode != FILE_MODE:
            log.warning("credentials file had mode %o; set to 600", mode)
            os.chmod(path, FILE_MODE)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically with mode 0600, whatever the umask."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # O_CREAT's mode is masked by the umask; this is not
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class FileBackend:
    """Tokens in a JSON file, 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"FileBackend({str(self.path)!r})"

    def _read(self) -> dict[str, Any]:
        _ensure_private(self.path)
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("credentials file unreadable (%s); starting empty", type(exc).__name__)
            return {}
        tokens = raw.get("tokens") if isinstance(raw, dict) else None
        return dict(tokens) if isinstance(tokens, dict) else {}

    def _write(self, tokens: dict[str, Any]) -> None:
        data = json.dumps({"version": 1, "tokens": tokens}, indent=2, sort_keys=True)
        write_private(self.path, data.encode("utf-8"))

    def get(self, key: str) -> Tokens | None:
        return Tokens.from_json(self._read().get(key))

    def set(self, key: str, tokens: Tokens) -> None:
        entries = self._read()
        entries[key] = tokens.to_json()
        self._write(entries)

    def delete(self, key: str) -> bool:
        entries = self._read()
        if key not in entries:
            return False
        del entries[key]
        self._write(entries)
        return True


class UserHints:
    """The subject of the tokens stored under each key, in a small 0600 JSON file beside
    the tokens' file. Not a secret (the user's id, as in the cache file's identity), and only
    a hint: the app opens that user's cache before the tokens are read (the keyring is slow
    to load) and switches cache if the tokens turn out to name someone else."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, Any]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        users = raw.get("users") if isinstance(raw, dict) else None
        return dict(users) if isinstance(users, dict) else {}

    def get(self, key: str) -> str | None:
        value = self._read().get(key)
        return value if isinstance(value, str) and value else None

    def set(self, key: str, user: str | None) -> None:
        """Remember ``user`` for ``key`` (``None`` forgets it); never fails."""
        entries = self._read()
        if entries.get(key) == user or (user is None and key not in entries):
            return
        if user is None:
            del entries[key]
        else:
            entries[key] = user
        data = json.dumps({"version": 1, "users": entries}, indent=2, sort_keys=True)
        try:
            write_private(self.path, data.encode("utf-8"))
        except OSError as exc:
            log.warning("could not write %s (%s)", self.path.name, type(exc).__name__)


class KeyringBackend:
    """Tokens in the system keyring (one JSON secret per profile and server)."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def __repr__(self) -> str:
        return f"KeyringBackend({type(self.backend).__module__}.{type(self.backend).__name__})"

    def get(self, key: str) -> Tokens | None:
        secret = self.backend.get_password(SERVICE, key)
        if not secret:
            return None
        try:
            return Tokens.from_json(json.loads(secret))
        except ValueError:
            return None

    def set(self, key: str, tokens: Tokens) -> None:
        self.backend.set_password(SERVICE, key, json.dumps(tokens.to_json()))

    def delete(self, key: str) -> bool:
        from keyring.errors import PasswordDeleteError

        if self.backend.get_password(SERVICE, key) is None:
            return False
        try:
            self.backend.delete_password(SERVICE, key)
        except PasswordDeleteError:
            return False
        return True


class CredentialStore:
    """Where tokens are kept: keyring when usable, else the 0600 file.

    A keyring that fails at use time (locked, D-Bus gone) is reported once in the log (without
    secrets) and the store switches to the file for the rest of the session.
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        keyring_backend: Any | None = None,
        use_keyring: bool | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if env is None else env
        directory = data_dir(env) if directory is None else directory
        self.file = FileBackend(directory / FILENAME)
        self.users = UserHints(directory / USERS_FILENAME)
        if use_keyring is None:
            setting = env.get(ENV_KEYRING, "").strip().lower()
            use_keyring = setting not in ("0", "off", "no", "false", "file")
        # The keyring is looked up on first use, not here: importing ``keyring`` and probing
        # its backends costs ~80 ms of CPU (more with a D-Bus Secret Service), which the
        # app's first frame must not pay (issue 20). A lock: the app reads tokens in a thread.
        self._use_keyring = use_keyring
        self._keyring_backend_arg = keyring_backend
        self._keyring_resolved = False
        self._keyring_value: KeyringBackend | None = None
        self._keyring_lock = threading.Lock()

    @property
    def _keyring(self) -> KeyringBackend | None:
        if not self._keyring_resolved:
            with self._keyring_lock:
                if not self._keyring_resolved:
                    if self._use_keyring:
                        backend = self._keyring_backend_arg
                        if backend is None:
                            backend = usable_keyring()
                        if backend is not None:
                            self._keyring_value = KeyringBackend(backend)
                    self._keyring_resolved = True
        return self._keyring_value

    @_keyring.setter
    def _keyring(self, value: KeyringBackend | None) -> None:
        self._keyring_value = value
        self._keyring_resolved = True

    def __repr__(self) -> str:
        return f"CredentialStore(backend={self.backend_name!r})"

    @property
    def backend_name(self) -> str:
        """``"keyring (<backend>)"`` or ``"file (<path>)"`` for ``config path``-style output."""
        if self._keyring is not None:
            return f"keyring ({type(self._keyring.backend).__name__})"
        return f"file ({self.file.path})"

    @property
    def uses_keyring(self) -> bool:
        return self._keyring is not None

    def _fallback(self, exc: Exception) -> None:
        log.warning(
            "system keyring failed (%s); keeping tokens in %s instead",
            type(exc).__name__,
            self.file.path,
        )
        self._keyring = None

    def get(self, profile: str, server: str) -> Tokens | None:
        key = entry_key(profile, server)
        if self._keyring is not None:
            try:
                found = self._keyring.get(key)
            except Exception as exc:
                self._fallback(exc)
            else:
                return found if found is not None else self.file.get(key)
        return self.file.get(key)

    def set(self, profile: str, server: str, tokens: Tokens) -> None:
        key = entry_key(profile, server)
        self.users.set(key, tokens.subject)
        if self._keyring is not None:
            try:
                self._keyring.set(key, tokens)
            except Exception as exc:
                self._fallback(exc)
            else:
                # A copy left in the file by an earlier fallback would go stale: drop it.
                if self.file.path.exists():
                    self.file.delete(key)
                return
        self.file.set(key, tokens)

    def delete(self, profile: str, server: str) -> bool:
        """Forget the tokens of ``profile``/``server`` everywhere; True if any were held."""
        key = entry_key(profile, server)
        self.users.set(key, None)
        removed = False
        if self._keyring is not None:
            try:
                removed = self._keyring.delete(key)
            except Exception as exc:
                self._fallback(exc)
        if self.file.path.exists():
            removed = self.file.delete(key) or removed
        return removed

    # Profile-level conveniences ---------------------------------------------------------------

    def for_profile(self, profile: Profile) -> Tokens | None:
        return self.get(profile.name, profile.server)

    def user_hint(self, profile: Profile) -> str | None:
        """The user (the token's subject) whose tokens were last stored for ``profile``, read
        without touching the keyring: enough to open that user's disk cache and draw the
        cached home while the tokens themselves are read (see :class:`UserHints`)."""
        return self.users.get(entry_key(profile.name, profile.server))

    def login(self, profile: Profile, tokens: Tokens) -> None:
        """Remember the tokens a sign-in produced (also after a silent refresh)."""
        self.set(profile.name, profile.server, tokens)

    def logout(self, profile: Profile) -> bool:
        """Forget the profile's tokens; True when there were some."""
        return self.delete(profile.name, profile.server)


async def login_with_password(
    client: PreoClient, store: CredentialStore, profile: Profile, email: str, password: str
) -> Tokens:
    """Exchange email and password for tokens with ``client`` (a ``PreoClient`` bound to the
    profile's server) and remember them. Raises the client's ``AuthError`` on bad
    credentials; the password is never stored."""
    pair = await client.auth.login(email, password)
    tokens = _tokens_of(pair)
    store.login(profile, tokens)
    return tokens


async def login_with_pin(
    client: PreoClient, store: CredentialStore, profile: Profile, phone: str, pin: str
) -> Tokens:
    """Second step of PIN sign-in (after ``client.auth.request_pin(phone)``): verify the PIN
    and remember the tokens."""
    pair = await client.auth.verify_pin(phone, pin)
    tokens = _tokens_of(pair)
    store.login(profile, tokens)
    return tokens


def login_with_token(store: CredentialStore, profile: Profile, token: str) -> Tokens:
    """Remember a pasted access token (no refresh token)."""
    from preo_tui.api.errors import InvalidToken, check_token

    try:
        token = check_token(token)
    except InvalidToken as exc:
        raise CredentialError(exc.message) from None
    tokens = Tokens(access=token)
    store.login(profile, tokens)
    return tokens


def logout(store: CredentialStore, profile: Profile) -> bool:
    """Forget the tokens of ``profile``; True when some were held."""
    return store.logout(profile)


def _tokens_of(pair: Any) -> Tokens:
    access = getattr(pair, "access", None)
    refresh = getattr(pair, "refresh", None)
    if not isinstance(access, str) or not access:
        raise CredentialError("the server's sign-in answer held no access token")
    return Tokens(access=access, refresh=refresh if isinstance(refresh, str) else None)
