"""Profiles and settings: parsing, diagnostics with line numbers, overrides, writing."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit

from preo_tui import config
from preo_tui.config import (
    ConfigError,
    Environment,
    classify_server,
    load_settings,
    resolve_profile,
    save_profile,
    set_last_profile,
    token_from_env,
    write_default_config,
)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("CONFIG", "DATA", "CACHE"):
        monkeypatch.setenv(f"PREO_{name}_DIR", str(tmp_path / name.lower()))
    for name in ("PREO_PROFILE", "PREO_SERVER", "PREO_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


EXAMPLE = """\
# Operator config
last_profile = "staging"

[app]
theme = "nord"
clipboard = "show"

[profiles.staging]
read_only = true
organization = "org_1"
edition = "edt_2026"
refresh_interval = 30

[profiles.eu]   # a custom server
server = "https://preo.example.com/"
token_env = "EU_TOKEN"

[profiles.production]
theme = "textual-light"

[keymap]
"refunds.approve" = "A, f5"
"app.quit" = ["q", "ctrl+q"]
"""


def test_locations_follow_the_environment(isolated: Path) -> None:
    assert config.config_path() == isolated / "config" / "config.toml"
    assert config.data_dir() == isolated / "data"
    assert config.cache_dir() == isolated / "cache"
    assert config.journal_path() == isolated / "data" / "journal.jsonl"
    assert config.sandbox_db_path().parent == isolated / "data"
    assert config.config_dir({}) != isolated / "config"  # without the variable: platformdirs


def test_missing_file_gives_defaults_without_warnings() -> None:
    result = load_settings()
    assert not result.exists and result.warnings == []
    settings = result.settings
    assert set(settings.profiles) == {"development", "staging", "production", "sandbox"}
    assert settings.profiles["production"].server == "https://api.preo.cloud"
    assert settings.profiles["staging"].server == "https://api-staging.preo.dev"
    assert settings.profiles["development"].server == "https://api.preo.dev"
    assert settings.profiles["sandbox"].needs_server
    assert settings.app.theme == "textual-dark" and settings.keymap == {}


def test_full_example_parses(tmp_path: Path) -> None:
    result = load_settings(write(tmp_path, EXAMPLE))
    assert result.warnings == [] and result.exists
    s = result.settings
    assert s.last_profile == "staging"
    assert s.app.theme == "nord" and s.app.clipboard == "show"
    staging = s.profile("staging")
    assert staging.read_only and staging.organization == "org_1" and staging.edition == "edt_2026"
    assert staging.refresh_interval == 30 and staging.theme == "nord"  # app theme inherited
    assert staging.server == "https://api-staging.preo.dev"  # built-in server kept
    eu = s.profile("eu")
    assert eu.server == "https://preo.example.com" and eu.token_env == "EU_TOKEN"
    assert eu.environment is Environment.CUSTOM and not eu.builtin
    assert s.profile("production").theme == "textual-light"
    assert s.keymap == {"refunds.approve": "A,f5", "app.quit": "q,ctrl+q"}


def test_syntax_error_names_the_line_and_keeps_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, '[app]\ntheme = "nord"\n\n[profiles.staging\nread_only = true\n')
    result = load_settings(path)
    (warning,) = result.warnings
    assert warning.line == 4
    assert str(warning).startswith("config.toml, line 4: TOML syntax error")
    assert "using defaults" in str(warning)
    assert result.settings.app.theme == "textual-dark"
    assert set(result.settings.profiles) >= {"production", "sandbox"}


def test_wrong_types_name_line_and_field_and_keep_the_rest(tmp_path: Path) -> None:
    text = """\
last_profile = "staging"

[app]
theme = "nord"
refresh_interval = "fast"
colour = "pink"

[profiles.staging]
read_only = "yes please"
refresh_interval = 0.2
edition = "edt_1"

[profiles."has space"]
server = "https://x.example"

[profiles.nohost]
theme = "nord"

[profiles.bad-url]
server = "ftp://example.com"

[keymap]
"refunds.approve" = "A"
"no good" = "b"
"""
    result = load_settings(write(tmp_path, text))
    found = {(w.line, w.field) for w in result.warnings}
    assert found == {
        (5, "app.refresh_interval"),
        (6, "app.colour"),
        (9, "profiles.staging.read_only"),
        (10, "profiles.staging.refresh_interval"),
        (13, "profiles.has space"),
        (16, "profiles.nohost.server"),
        (20, "profiles.bad-url.server"),
        (24, "keymap.no good"),
        (None, "profiles.staging"),  # issue 14: read-only until fixed (fail closed)
    }
    messages = {w.field: str(w) for w in result.warnings}
    assert (
        "line 5: app.refresh_interval: Input should be a valid number"
        in messages["app.refresh_interval"]
    )
    assert "unknown setting" in messages["app.colour"]
    assert "http:// or https://" in messages["profiles.bad-url.server"]
    s = result.settings
    assert s.app.theme == "nord" and s.app.refresh_interval == 10
    # Issue 14: an unreadable read_only fails closed.
    assert s.profile("staging").edition == "edt_1" and s.profile("staging").read_only
    assert "nohost" not in s.profiles and "bad-url" not in s.profiles
    assert s.keymap == {"refunds.approve": "A"}
    assert s.last_profile == "staging"


def test_wrong_table_types(tmp_path: Path) -> None:
    result = load_settings(write(tmp_path, 'profiles = 3\nkeymap = "x"\n[app]\npage_size = 9999\n'))
    fields = {w.field: w.line for w in result.warnings}
    assert fields == {"profiles": 1, "keymap": 2, "app.page_size": 4}
    assert "production" in result.settings.profiles


def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    path.write_bytes(b"\xff\xfe bad utf-8")
    (warning,) = load_settings(path).warnings
    assert "cannot read" in str(warning)


def test_default_config_is_valid_commented_and_not_overwritten(tmp_path: Path) -> None:
    path = write_default_config()
    assert path == config.config_path()
    text = path.read_text()
    assert text.count("#") > 10 and "token" in text.lower()
    result = load_settings(path)
    assert result.warnings == []
    assert result.settings == load_settings(config.config_dir() / "absent.toml").settings
    path.write_text("# mine\n")
    write_default_config()
    assert path.read_text() == "# mine\n"
    write_default_config(overwrite=True)
    assert path.read_text() == text


def test_set_last_profile_preserves_comments(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE.replace('last_profile = "staging"\n', ""))
    set_last_profile("eu", path)
    text = path.read_text()
    assert "# Operator config" in text and "# a custom server" in text
    assert load_settings(path).settings.last_profile == "eu"
    set_last_profile("production", path)
    assert path.read_text() == text.replace('"eu"', '"production"')
    with pytest.raises(ConfigError):
        set_last_profile("bad name", path)


def test_set_last_profile_creates_the_file() -> None:
    set_last_profile("staging")
    result = load_settings()
    assert result.settings.last_profile == "staging" and result.warnings == []


def test_set_last_profile_refuses_to_clobber_a_broken_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[app\n")
    with pytest.raises(ConfigError, match="syntax error"):
        set_last_profile("staging", path)
    assert path.read_text() == "[app\n"


def test_save_profile(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE)
    save_profile("eu", {"read_only": True, "token_env": None}, path)
    save_profile("new", {"server": "https://new.example"}, path)
    doc = tomlkit.parse(path.read_text())
    assert doc["profiles"]["eu"]["read_only"] is True
    assert "token_env" not in doc["profiles"]["eu"]
    assert "# a custom server" in path.read_text()
    s = load_settings(path).settings
    assert s.profile("new").server == "https://new.example" and s.profile("eu").read_only
    with pytest.raises(ConfigError, match="refresh_interval"):
        save_profile("x", {"server": "https://x.example", "refresh_interval": 0}, path)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://api.preo.cloud", Environment.PRODUCTION),
        ("https://API.preo.cloud:443/", Environment.PRODUCTION),
        ("https://eu.api.preo.cloud", Environment.PRODUCTION),
        ("https://api-staging.preo.dev", Environment.STAGING),
        ("https://api.preo.dev", Environment.DEVELOPMENT),
        ("http://127.0.0.1:8765", Environment.SANDBOX),
        ("http://localhost:9", Environment.SANDBOX),
        ("http://[::1]:9", Environment.SANDBOX),
        ("https://preo.cloud.evil.example", Environment.CUSTOM),
        ("https://preo.example.com", Environment.CUSTOM),
    ],
)
def test_classify_server(url: str, kind: Environment) -> None:
    assert classify_server(url) is kind


def test_custom_profile_pointing_at_production_is_production(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.ops]\nserver = "https://api.preo.cloud"\n')
    ops = load_settings(path).settings.profile("ops")
    assert ops.is_production and ops.environment is Environment.PRODUCTION


def test_resolve_profile_precedence(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, EXAMPLE)).settings
    env: dict[str, str] = {}
    assert resolve_profile(settings, env=env).name == "staging"  # last_profile
    env["PREO_PROFILE"] = "eu"
    assert resolve_profile(settings, env=env).name == "eu"
    assert resolve_profile(settings, profile="production", env=env).name == "production"
    env["PREO_SERVER"] = "https://override.example/"
    p = resolve_profile(settings, env=env)
    assert p.name == "eu" and p.server == "https://override.example"
    with pytest.raises(ConfigError, match="unknown profile 'nope'"):
        resolve_profile(settings, profile="nope", env={})


def test_resolve_profile_defaults_to_the_sandbox() -> None:
    settings = load_settings().settings
    p = resolve_profile(settings, env={})
    assert p.name == "sandbox" and p.needs_server and p.environment is Environment.SANDBOX
    bound = p.with_server("http://127.0.0.1:54321/")
    assert bound.server == "http://127.0.0.1:54321" and not bound.needs_server
    assert resolve_profile(settings, sandbox=True, env={"PREO_PROFILE": "staging"}).sandbox


def test_server_option_reuses_a_matching_profile_and_read_only_only_tightens(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "[profiles.production]\nread_only = true\n")
    settings = load_settings(path).settings
    p = resolve_profile(settings, server="https://api.preo.cloud/", env={})
    assert p.name == "production" and p.read_only
    adhoc = resolve_profile(settings, server="https://preo.example.com", read_only=True, env={})
    assert adhoc.name == "custom" and adhoc.read_only and adhoc.server == "https://preo.example.com"
    dev = resolve_profile(settings, profile="development", read_only=True, env={})
    assert dev.read_only
    with pytest.raises(ConfigError, match="http"):
        resolve_profile(settings, server="api.preo.cloud", env={})
    with pytest.raises(ConfigError, match="environment variable"):
        resolve_profile(settings, token_env="NOT VALID", env={})


def test_token_from_env() -> None:
    settings = load_settings().settings
    p = resolve_profile(settings, profile="staging", token_env="MY_TOKEN", env={})
    assert token_from_env(p, {}) is None
    assert token_from_env(p, {"MY_TOKEN": " abc "}) == "abc"
    assert token_from_env(p, {"MY_TOKEN": "abc", "PREO_TOKEN": "xyz"}) == "xyz"


def test_tokens_never_land_in_the_config(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.staging]\ntoken = "abc"\n')
    result = load_settings(path)
    assert [w.field for w in result.warnings] == ["profiles.staging.token"]
    assert "token" not in result.settings.profile("staging").model_dump()


def test_a_bad_value_is_reported_once_and_siblings_survive(tmp_path: Path) -> None:
    path = write(tmp_path, '[keymap]\n"a.b" = 5\n"c" = ["x", 3]\n"d" = "x"\n')
    result = load_settings(path)
    assert [(w.line, w.field) for w in result.warnings] == [(2, "keymap.a.b"), (3, "keymap.c")]
    assert result.settings.keymap == {"d": "x"}


def test_unknown_default_profile_is_reported(tmp_path: Path) -> None:
    result = load_settings(write(tmp_path, '[app]\ndefault_profile = "prod"\n'))
    (warning,) = result.warnings
    assert (warning.line, warning.field) == (2, "app.default_profile")
    assert resolve_profile(result.settings, env={}).name == "sandbox"
