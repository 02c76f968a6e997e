"""Credential storage at its edges: token records that are not tokens, keyrings that cannot
store or that fail while deleting, a stale file copy dropped once the keyring works, and a
sign-in answer without an access token."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from keyring.errors import PasswordDeleteError

from preo_tui.api.auth import TokenPair
from preo_tui.credentials import (
    SERVICE,
    CredentialError,
    CredentialStore,
    FileBackend,
    Tokens,
    entry_key,
    login_with_pin,
    usable_keyring,
    write_private,
)
from tests.test_credentials import MemoryKeyring
from tests.test_credentials import isolated as isolated  # the autouse fixture, shared

SERVER = "https://x.example"


class UndeletableKeyring(MemoryKeyring):
    def delete_password(self, service: str, username: str) -> None:
        raise PasswordDeleteError("not allowed")


class GetFailsKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("locked")


class LowPriority(MemoryKeyring):
    priority = 0


def test_tokens_from_json_accepts_only_an_access_token() -> None:
    assert Tokens.from_json({"access": "a", "refresh": "r"}) == Tokens("a", "r")
    assert Tokens.from_json({"access": "a", "refresh": 5}) == Tokens("a", None)
    assert Tokens.from_json({"access": ""}) is None
    assert Tokens.from_json({"refresh": "r"}) is None
    assert Tokens.from_json(["a"]) is None
    assert Tokens("a", "r").secrets == ("a", "r") and Tokens("a").secrets == ("a",)


def test_subject_of_tokens_that_are_not_jwts() -> None:
    assert Tokens("opaque-token").subject is None
    assert Tokens("a.bm90IGpzb24.c").subject is None  # payload is not JSON
    assert Tokens("a.WzFd.c").subject is None  # a JSON list, not claims
    assert Tokens("a.e30.c").subject is None  # no sub


def test_keyrings_that_cannot_really_store_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring

    monkeypatch.setattr(keyring, "get_keyring", lambda: LowPriority())
    assert usable_keyring() is None

    def broken() -> Any:
        raise RuntimeError("no D-Bus")

    monkeypatch.setattr(keyring, "get_keyring", broken)
    assert usable_keyring() is None
    good = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: good)
    assert usable_keyring() is good
    store = CredentialStore()  # found by itself
    assert store.uses_keyring and store.backend_name == "keyring (MemoryKeyring)"


def test_a_garbled_keyring_secret_reads_as_no_tokens() -> None:
    ring = MemoryKeyring()
    store = CredentialStore(keyring_backend=ring)
    ring.items[(SERVICE, entry_key("p", SERVER))] = "{not json"
    assert store.get("p", SERVER) is None


def test_keyring_delete_of_nothing_or_refused(isolated: Path) -> None:
    store = CredentialStore(keyring_backend=MemoryKeyring())
    assert not store.delete("p", SERVER)
    stuck = CredentialStore(keyring_backend=UndeletableKeyring())
    stuck.set("p", SERVER, Tokens("a"))
    assert not stuck.delete("p", SERVER)
    assert stuck.uses_keyring  # a refused delete is not a broken keyring


def test_keyring_failing_on_delete_falls_back_and_still_deletes_the_file(
    isolated: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = CredentialStore(keyring_backend=GetFailsKeyring())
    store.file.set(entry_key("p", SERVER), Tokens("from-file"))
    with caplog.at_level(logging.WARNING):
        assert store.delete("p", SERVER)
    assert not store.uses_keyring and "keyring failed" in caplog.text
    assert store.get("p", SERVER) is None


def test_a_working_keyring_drops_a_stale_file_copy_and_reads_the_file_as_fallback(
    isolated: Path,
) -> None:
    ring = MemoryKeyring()
    store = CredentialStore(keyring_backend=ring)
    # Left in the file by an earlier session whose keyring was locked.
    store.file.set(entry_key("old", SERVER), Tokens("file-only"))
    assert store.get("old", SERVER) == Tokens("file-only")
    store.file.set(entry_key("p", SERVER), Tokens("stale"))
    store.set("p", SERVER, Tokens("fresh"))
    assert store.file.get(entry_key("p", SERVER)) is None
    assert json.loads(ring.items[(SERVICE, entry_key("p", SERVER))])["access"] == "fresh"
    assert store.get("p", SERVER) == Tokens("fresh")
    assert repr(store) == "CredentialStore(backend='keyring (MemoryKeyring)')"


def test_file_backend_ignores_records_of_the_wrong_shape(tmp_path: Path) -> None:
    backend = FileBackend(tmp_path / "deep" / "credentials.json")
    assert backend.get("k") is None and not backend.delete("k")
    backend.path.parent.mkdir()
    backend.path.write_text('["not", "an", "object"]')
    assert backend.get("k") is None
    backend.path.write_text('{"tokens": ["x"]}')
    assert backend.get("k") is None
    assert repr(backend).startswith("FileBackend(")


def test_write_private_makes_the_folder_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "secret.json"
    write_private(target, b"{}")
    assert target.read_bytes() == b"{}"
    assert (target.parent.stat().st_mode & 0o777) == 0o700
    with pytest.raises(TypeError):
        write_private(target, "text")  # type: ignore[arg-type]  # the failure under test
    assert [p.name for p in target.parent.iterdir()] == ["secret.json"]


class PinAuth:
    def __init__(self, pair: Any) -> None:
        self.pair = pair

    async def verify_pin(self, phone: str, pin: str) -> Any:
        assert (phone, pin) == ("+4512345678", "1234")
        return self.pair


class PinClient:
    def __init__(self, pair: Any) -> None:
        self.auth = PinAuth(pair)


async def test_pin_sign_in_remembers_tokens_and_refuses_an_answer_without_access() -> None:
    from preo_tui.config import load_settings

    profile = load_settings().settings.profile("staging")
    store = CredentialStore(use_keyring=False)
    client: Any = PinClient(TokenPair(access="acc", refresh="ref"))
    tokens = await login_with_pin(client, store, profile, "+4512345678", "1234")
    assert tokens == Tokens("acc", "ref") and store.for_profile(profile) == tokens
    empty: Any = PinClient(object())
    with pytest.raises(CredentialError, match="no access token"):
        await login_with_pin(empty, store, profile, "+4512345678", "1234")
    assert store.for_profile(profile) == tokens
