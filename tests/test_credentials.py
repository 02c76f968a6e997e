"""Credentials: keyring when usable, else a 0600 file; redaction; login/logout helpers."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import jwt
import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null

from preo_tui.api.auth import TokenPair
from preo_tui.config import load_settings
from preo_tui.credentials import (
    CredentialError,
    CredentialStore,
    Tokens,
    login_with_password,
    login_with_token,
    logout,
    usable_keyring,
)

SECRET = "access-SECRET-0123456789"
REFRESH = "refresh-SECRET-9876543210"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("CONFIG", "DATA", "CACHE"):
        monkeypatch.setenv(f"PREO_{name}_DIR", str(tmp_path / name.lower()))
    monkeypatch.delenv("PREO_KEYRING", raising=False)
    return tmp_path


class MemoryKeyring(KeyringBackend):
    priority = 10

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.items[(service, username)]


class BrokenKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError("secret service is locked")

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("secret service is locked")


def profile(name: str = "staging") -> Any:
    return load_settings().settings.profile(name)


def test_tokens_are_redacted() -> None:
    tokens = Tokens(SECRET, REFRESH)
    for text in (repr(tokens), str(tokens), f"{tokens}", repr([tokens])):
        assert SECRET not in text and REFRESH not in text
    assert tokens.secrets == (SECRET, REFRESH)


def test_subject_of_a_jwt() -> None:
    token = jwt.encode({"sub": "usr_42"}, "k" * 32, algorithm="HS256")
    assert Tokens(token).subject == "usr_42"
    assert Tokens("not-a-jwt").subject is None


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()])
def test_fail_and_null_backends_are_not_usable(
    backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    assert usable_keyring() is None
    store = CredentialStore()
    assert not store.uses_keyring and store.backend_name.startswith("file")


def test_file_fallback_is_0600_whatever_the_umask(isolated: Path) -> None:
    store = CredentialStore(use_keyring=False)
    old = os.umask(0)
    try:
        store.login(profile(), Tokens(SECRET, REFRESH))
    finally:
        os.umask(old)
    path = isolated / "data" / "credentials.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert (isolated / "data").stat().st_mode & 0o077 == 0
    data = json.loads(path.read_text())
    assert data["tokens"]["staging@https://api-staging.preo.dev"]["access"] == SECRET
    again = CredentialStore(use_keyring=False)
    assert again.for_profile(profile()) == Tokens(SECRET, REFRESH)
    assert again.get("production", "https://api.preo.cloud") is None
    assert not list(path.parent.glob(".*.tmp"))


def test_file_with_loose_permissions_is_repaired(
    isolated: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = CredentialStore(use_keyring=False)
    store.login(profile(), Tokens(SECRET))
    path = isolated / "data" / "credentials.json"
    os.chmod(path, 0o644)
    with caplog.at_level(logging.DEBUG):
        assert store.for_profile(profile()) == Tokens(SECRET)
    assert path.stat().st_mode & 0o777 == 0o600
    assert SECRET not in caplog.text


def test_env_switch_forces_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    memory = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: memory)
    assert CredentialStore().uses_keyring
    monkeypatch.setenv("PREO_KEYRING", "off")
    assert not CredentialStore().uses_keyring


def test_keyring_is_used_when_usable(isolated: Path) -> None:
    memory = MemoryKeyring()
    store = CredentialStore(keyring_backend=memory)
    assert store.uses_keyring and "MemoryKeyring" in store.backend_name
    store.login(profile(), Tokens(SECRET, REFRESH))
    assert ("preo-tui", "staging@https://api-staging.preo.dev") in memory.items
    assert not (isolated / "data" / "credentials.json").exists()
    assert store.for_profile(profile()) == Tokens(SECRET, REFRESH)
    assert store.logout(profile()) and not memory.items
    assert not store.logout(profile())


def test_keyring_failing_at_use_time_falls_back_to_the_file(
    isolated: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = CredentialStore(keyring_backend=BrokenKeyring())
    with caplog.at_level(logging.WARNING):
        store.login(profile(), Tokens(SECRET, REFRESH))
    assert not store.uses_keyring
    assert "keyring failed" in caplog.text and SECRET not in caplog.text
    assert (isolated / "data" / "credentials.json").exists()
    assert store.for_profile(profile()) == Tokens(SECRET, REFRESH)


def test_profiles_on_the_same_server_are_separate() -> None:
    store = CredentialStore(use_keyring=False)
    store.set("a", "https://x.example/", Tokens("tok-a"))
    store.set("b", "https://x.example", Tokens("tok-b"))
    assert store.get("a", "https://x.example") == Tokens("tok-a")
    assert store.get("b", "https://x.example/") == Tokens("tok-b")
    assert store.delete("a", "https://x.example")
    assert store.get("a", "https://x.example") is None and store.get("b", "https://x.example")


def test_corrupt_file_is_treated_as_empty(isolated: Path) -> None:
    path = isolated / "data" / "credentials.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    store = CredentialStore(use_keyring=False)
    assert store.for_profile(profile()) is None
    store.login(profile(), Tokens(SECRET))
    assert store.for_profile(profile()) == Tokens(SECRET)


def test_tokens_never_in_the_config_file(isolated: Path) -> None:
    store = CredentialStore(use_keyring=False)
    login_with_token(store, profile(), f"  {SECRET}\n")
    for file in (isolated / "config").rglob("*") if (isolated / "config").exists() else []:
        assert SECRET not in file.read_text()
    assert store.for_profile(profile()) == Tokens(SECRET)
    with pytest.raises(CredentialError):
        login_with_token(store, profile(), "two words")
    assert logout(store, profile()) and store.for_profile(profile()) is None


async def test_login_with_password_uses_the_client_and_remembers_tokens() -> None:
    calls: list[dict[str, str]] = []

    class Auth:
        async def login(self, email: str, password: str) -> Any:
            calls.append({"email": email, "password": password})
            return TokenPair(access=SECRET, refresh=REFRESH)

    class Client:
        auth = Auth()

    store = CredentialStore(use_keyring=False)
    stand_in: Any = Client()  # a client with only .auth
    tokens = await login_with_password(stand_in, store, profile(), "ops@preo.test", "pw")
    assert tokens == Tokens(SECRET, REFRESH) and calls == [
        {"email": "ops@preo.test", "password": "pw"}
    ]
    assert store.for_profile(profile()) == tokens
    raw = (Path(os.environ["PREO_DATA_DIR"]) / "credentials.json").read_text()
    assert 'pw"' not in raw


def test_the_keyring_is_looked_up_on_first_use_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building the store (the app does it before its first frame) never loads the keyring:
    that costs ~80 ms of CPU; the first read or write does, once."""
    memory = MemoryKeyring()
    lookups: list[int] = []

    def lookup() -> KeyringBackend:
        lookups.append(1)
        return memory

    monkeypatch.setattr(keyring, "get_keyring", lookup)
    store = CredentialStore()
    assert lookups == []
    assert store.for_profile(profile()) is None
    store.login(profile(), Tokens(SECRET))
    assert lookups == [1] and store.uses_keyring


def test_the_user_of_stored_tokens_is_known_without_the_keyring(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app opens the cache of the user whose tokens are stored before reading them: the
    user (the token's subject, no secret) is kept in a 0600 file beside the tokens' file."""
    memory = MemoryKeyring()
    token = jwt.encode({"sub": "usr_42"}, "k" * 32, algorithm="HS256")
    CredentialStore(keyring_backend=memory).login(profile(), Tokens(token, REFRESH))

    def no_keyring() -> KeyringBackend:
        raise AssertionError("the keyring was loaded")

    monkeypatch.setattr(keyring, "get_keyring", no_keyring)
    store = CredentialStore()
    assert store.user_hint(profile()) == "usr_42"
    assert store.user_hint(profile("production")) is None
    path = isolated / "data" / "credentials-users.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert token not in path.read_text() and REFRESH not in path.read_text()
    assert CredentialStore(keyring_backend=memory).logout(profile())
    assert CredentialStore().user_hint(profile()) is None
    path.write_text("{not json")  # a broken hint is no hint
    assert CredentialStore().user_hint(profile()) is None
