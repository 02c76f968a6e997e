"""Fail closed (issue 14): a configuration file that cannot be read or parsed never makes
production writable — nothing starts unless the command line defines the profile, and then
production is read-only. Also what ``config check`` lists, and server URLs refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from preo_tui.config import (
    PRODUCTION_SERVER,
    ConfigError,
    check_fail_closed,
    config_problems,
    describe_unparsable,
    load_settings,
    normalize_server,
)
from preo_tui.config.load import fully_defined_outside_file

GOOD = """\
[app]
default_profile = "prod"

[profiles.prod]
server = "https://api.preo.cloud"
"""


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("CONFIG", "DATA", "CACHE"):
        monkeypatch.setenv(f"PREO_{name}_DIR", str(tmp_path / name.lower()))
    for name in ("PREO_PROFILE", "PREO_SERVER", "PREO_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def write(tmp_path: Path, data: str | bytes) -> Path:
    path = tmp_path / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)
    return path


def test_a_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "\n[profiles.prod\nread_only = false\n")
    loaded = load_settings(path)
    assert loaded.exists and loaded.unparsable is not None
    described = describe_unparsable(loaded.unparsable)
    assert described.startswith(f"{path}:7:")
    assert not described.endswith("using defaults")
    assert config_problems(path) == [described]
    # The defaults are used: no "prod" profile from the broken file.
    assert "prod" not in loaded.settings.profiles


def test_an_undecodable_file_is_unparsable_too(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xff\xfe\x00garbage")
    loaded = load_settings(path)
    assert loaded.unparsable is not None
    assert "cannot read the file" in loaded.unparsable.message
    assert describe_unparsable(loaded.unparsable).startswith(f"{path}: cannot read the file")


def test_a_folder_in_place_of_the_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "config" / "config.toml"
    path.mkdir(parents=True)
    loaded = load_settings(path)
    assert loaded.unparsable is not None and loaded.exists


def test_nothing_starts_from_a_broken_file_without_a_command_line_profile(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "[profiles.prod\n")
    loaded = load_settings(path)
    profile = loaded.settings.profile("production")
    with pytest.raises(ConfigError) as refused:
        check_fail_closed(loaded, profile, env={})
    message = str(refused.value)
    assert message.startswith(f"{path}:1:")
    assert "nothing was started" in message and "config check" in message


def test_a_command_line_server_runs_but_production_is_read_only(tmp_path: Path) -> None:
    loaded = load_settings(write(tmp_path, "[profiles.prod\n"))
    profile = loaded.settings.profile("production")
    assert profile.is_production and not profile.read_only
    guarded = check_fail_closed(loaded, profile, server=PRODUCTION_SERVER, env={})
    assert guarded is not None and guarded.read_only
    assert loaded.warnings[-1].message == (
        "production is read-only until the configuration file is fixed"
    )
    # PREO_SERVER counts as the command line; the sandbox is never production.
    via_env = check_fail_closed(loaded, profile, env={"PREO_SERVER": PRODUCTION_SERVER})
    assert via_env is not None and via_env.read_only
    sandbox = loaded.settings.profile("sandbox")
    assert check_fail_closed(loaded, sandbox, sandbox=True, env={}) == sandbox
    assert check_fail_closed(loaded, None, sandbox=True, env={}) is None


def test_a_good_file_changes_nothing(tmp_path: Path) -> None:
    loaded = load_settings(write(tmp_path, GOOD))
    profile = loaded.settings.profile("prod")
    assert check_fail_closed(loaded, profile, env={}) is profile
    assert config_problems(write(tmp_path, GOOD)) == []


def test_only_a_server_or_the_sandbox_defines_the_profile_outside_the_file() -> None:
    assert fully_defined_outside_file(sandbox=True, env={})
    assert fully_defined_outside_file(server="https://x.example", env={})
    assert fully_defined_outside_file(env={"PREO_SERVER": "https://x.example"})
    assert not fully_defined_outside_file(env={"PREO_SERVER": "  "})
    assert not fully_defined_outside_file(env={"PREO_PROFILE": "production"})


def test_config_check_lists_each_problem_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[app]\ndefault_profile = "nope"\n\n[profiles.x]\nserver = "ftp://x"\n',
    )
    problems = config_problems(path)
    assert any(
        p.startswith(f"{path}:2: app.default_profile: no profile named 'nope'") for p in problems
    )
    assert any(f"{path}:5:" in p and "http://" in p for p in problems)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("  ", "empty"),
        ("ftp://x.example", "must start with http"),
        ("https://", "has no host"),
        ("https://x.example:port", "invalid port"),
        ("https://x.example/?a=1", "query or fragment"),
        ("https://x.example/#top", "query or fragment"),
    ],
)
def test_server_urls_refused(url: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        normalize_server(url)


def test_server_url_normalised() -> None:
    assert normalize_server(" https://x.example:8443/ ") == "https://x.example:8443"
