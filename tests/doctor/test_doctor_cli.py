"""The doctor subcommand's plumbing: where its token comes from (PREO_TOKEN, the credential
store, or neither), a password sign-in for the sandbox (and a wrong password), progress on a
terminal only, and the JSON report to stdout or to a path it cannot write."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pytest

from preo_tui.config import Profile
from preo_tui.credentials import CredentialStore, Tokens
from preo_tui.doctor.cli import DoctorError, check, check_write_allowed, emit, tokens_for
from tests.fixtures.sandbox import BASE_URL, Sandbox


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def lab() -> Profile:
    return Profile(name="lab", server=BASE_URL)


def test_the_token_comes_from_the_environment_then_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CONFIG", "DATA", "CACHE"):
        monkeypatch.setenv(f"PREO_{name}_DIR", str(tmp_path / name.lower()))
    monkeypatch.setenv("PREO_KEYRING", "off")
    monkeypatch.delenv("PREO_TOKEN", raising=False)
    with pytest.raises(DoctorError, match="not signed in to http://sandbox.test"):
        tokens_for(lab())
    CredentialStore().login(lab(), Tokens("stored-access", "stored-refresh"))
    assert tokens_for(lab()) == ("stored-access", "stored-refresh")
    monkeypatch.setenv("PREO_TOKEN", "env-access")
    assert tokens_for(lab()) == ("env-access", None)


def test_write_is_refused_on_a_read_only_profile() -> None:
    with pytest.raises(DoctorError, match="refused on a read-only profile"):
        check_write_allowed(Profile(name="ro", server=BASE_URL, read_only=True), True)
    check_write_allowed(Profile(name="ro", server=BASE_URL, read_only=True), False)


async def test_a_password_sign_in_with_progress_on_a_terminal(sandbox: Sandbox) -> None:
    err = Terminal()
    report = await check(
        lab(),
        token=None,
        login=("admin@sandbox.preo.dev", "sandbox"),
        transport=httpx.ASGITransport(app=sandbox.app),
        err=err,
    )
    assert report.exit_code == 0 and report.signed_in_as == "admin@sandbox.preo.dev"
    shown = err.getvalue()
    assert "checking refunds.list…" in shown
    assert shown.endswith("\r\x1b[2K")  # the progress line is cleared at the end


async def test_a_wrong_password_is_a_doctor_error(sandbox: Sandbox) -> None:
    with pytest.raises(DoctorError, match="^sign-in failed: "):
        await check(
            lab(),
            token=None,
            login=("admin@sandbox.preo.dev", "wrong"),
            transport=httpx.ASGITransport(app=sandbox.app),
            err=io.StringIO(),
        )


async def test_the_json_report_to_stdout_or_an_unwritable_path(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    err = io.StringIO()
    report = await check(
        lab(),
        token=sandbox.tokens["admin"],
        transport=httpx.ASGITransport(app=sandbox.app),
        err=err,
    )
    assert err.getvalue() == ""  # no progress when not a terminal
    out = io.StringIO()
    assert emit(report, profile="lab", json_path="-", out=out) == 0
    text = out.getvalue()
    data = json.loads(text[text.index("\n{") + 1 :])
    assert data["exit_code"] == 0 and data["server"] == BASE_URL
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(DoctorError, match=f"cannot write {blocker}/r.json"):
        emit(report, profile="lab", json_path=str(blocker / "r.json"), out=io.StringIO())
