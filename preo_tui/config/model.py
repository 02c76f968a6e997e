"""The configuration's pydantic models: the file's schema as written (:class:`ConfigFile`,
:class:`AppSettings`, :class:`ProfileConfig` with its operation overrides) and the effective
settings built from it (:class:`Settings`, :class:`Profile`), plus :class:`ConfigWarning` and
:class:`LoadResult`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from preo_tui.config.paths import _ENV_NAME, CONFIG_FILENAME, ConfigError
from preo_tui.config.servers import (
    BUILTIN_SERVERS,
    SANDBOX_PLACEHOLDER_SERVER,
    SANDBOX_PROFILE,
    Environment,
    classify_server,
    normalize_server,
)

DEFAULT_THEME = "textual-dark"
DEFAULT_REFRESH_INTERVAL = 10.0
MIN_REFRESH_INTERVAL = 1.0


# --------------------------------------------------------------------------------------------
# The file's schema


class AppSettings(BaseModel):
    """The ``[app]`` table: app-wide settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    theme: str = DEFAULT_THEME
    """Theme used when a profile does not name one (any Textual theme, or ansi-dark/light)."""
    clipboard: Literal["osc52", "show"] = "osc52"
    """``osc52``: copy through the terminal (wrapped for tmux/screen), showing the text as a
    fallback; ``show``: never touch the clipboard, show the text to copy by hand."""
    refresh_interval: float = Field(DEFAULT_REFRESH_INTERVAL, ge=MIN_REFRESH_INTERVAL, le=3600)
    """Seconds between background refreshes of the screen on display."""
    page_size: int = Field(100, ge=1, le=500)
    """Rows fetched per page from the server."""
    disk_cache: bool = True
    """Keep the on-disk cache (instant start, offline reading). Off: memory only."""
    default_profile: str = SANDBOX_PROFILE
    """Profile used when none is named and none was used before."""

    @field_validator("theme")
    @classmethod
    def _theme(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("theme must not be empty")
        return value.strip()


# --------------------------------------------------------------------------------------------
# Per-profile operation overrides (issue 19): adapt to a server's paths without code changes.

_OPERATION_KEY = re.compile(r"^[a-z_]+\.[a-z_]+$")


def _operation_key(value: str) -> str:
    if not _OPERATION_KEY.match(value):
        raise ValueError(f"{value!r} is not an operation name such as 'refunds.approve'")
    return value


def _operation_override(value: str) -> str:
    """The shape only (``METHOD /path``); whether the operation exists and its parameters
    match is checked by the client, which skips and reports an entry it cannot apply."""
    from preo_tui.api.registry import parse_override  # light: no httpx, no models

    method, path = parse_override(value)
    return f"{method} {path}"


OperationKey = Annotated[str, AfterValidator(_operation_key)]
OperationOverride = Annotated[str, AfterValidator(_operation_override)]


class ProfileConfig(BaseModel):
    """One ``[profiles.<name>]`` table as written in the file (every field optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    server: str | None = None
    read_only: bool | None = None
    theme: str | None = None
    organization: str | None = None
    edition: str | None = None
    refresh_interval: float | None = Field(None, ge=MIN_REFRESH_INTERVAL, le=3600)
    token_env: str | None = None
    #: ``[profiles.X.operations]``: ``"refunds.approve" = "POST /v1/refunds/{id}/approve"``.
    operations: dict[OperationKey, OperationOverride] = {}

    @field_validator("server")
    @classmethod
    def _server(cls, value: str | None) -> str | None:
        return None if value is None else normalize_server(value)

    @field_validator("token_env")
    @classmethod
    def _token_env(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError(f"{value!r} is not a valid environment variable name")
        return value


class ConfigFile(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    last_profile: str | None = None
    app: AppSettings = AppSettings()
    profiles: dict[str, ProfileConfig] = {}
    keymap: dict[str, str | list[str]] = {}


# --------------------------------------------------------------------------------------------
# Effective settings


class Profile(BaseModel):
    """An effective profile: built-in defaults, the file and overrides merged."""

    model_config = ConfigDict(frozen=True)

    name: str
    server: str
    read_only: bool = False
    theme: str = DEFAULT_THEME
    organization: str | None = None
    edition: str | None = None
    refresh_interval: float = DEFAULT_REFRESH_INTERVAL
    token_env: str | None = None
    #: Method and path overrides by operation key (see ``ProfileConfig.operations``).
    operations: dict[str, str] = {}
    builtin: bool = False
    sandbox: bool = False
    """True for the sandbox profile: its server is decided at run time."""

    @property
    def environment(self) -> Environment:
        if self.sandbox:
            return Environment.SANDBOX
        return classify_server(self.server)

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def needs_server(self) -> bool:
        """True while a sandbox profile still waits for its run-time URL."""
        return self.sandbox and self.server == SANDBOX_PLACEHOLDER_SERVER

    def with_server(self, url: str) -> Profile:
        """The same profile bound to ``url`` (the sandbox's run-time loopback URL)."""
        return self.model_copy(update={"server": normalize_server(url)})


@dataclass(frozen=True)
class ConfigWarning:
    """A problem found in the configuration file; the app carries on with defaults."""

    message: str
    line: int | None = None
    field: str | None = None
    path: Path | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.path.name if self.path else CONFIG_FILENAME
        if self.line is not None:
            where += f", line {self.line}"
        subject = f"{self.field}: " if self.field else ""
        return f"{where}: {subject}{self.message}"


class Settings(BaseModel):
    """Everything the app reads from its configuration."""

    model_config = ConfigDict(frozen=True)

    app: AppSettings = AppSettings()
    profiles: dict[str, Profile]
    keymap: dict[str, str] = {}
    """Binding id -> comma-separated keys, ready for Textual's ``App.set_keymap``."""
    last_profile: str | None = None

    def profile(self, name: str) -> Profile:
        try:
            return self.profiles[name]
        except KeyError:
            known = ", ".join(sorted(self.profiles))
            raise ConfigError(f"unknown profile {name!r} (known profiles: {known})") from None

    def profile_for_server(self, server: str) -> Profile | None:
        """The configured profile whose server is ``server``, if any (so a ``--server``
        pointing at a configured server keeps that profile's safety settings)."""
        target = normalize_server(server)
        for profile in self.profiles.values():
            if not profile.sandbox and profile.server == target:
                return profile
        return None


@dataclass
class LoadResult:
    """What :func:`load_settings` returns: the settings and every problem found."""

    settings: Settings
    warnings: list[ConfigWarning] = field(default_factory=list)
    path: Path | None = None
    exists: bool = False
    #: The file exists but could not be parsed (syntax error, unreadable): nothing in it was
    #: used. Callers must fail closed (:func:`check_fail_closed`).
    unparsable: ConfigWarning | None = None


def _merge_profiles(file: ConfigFile) -> dict[str, Profile]:
    app = file.app
    profiles: dict[str, Profile] = {}
    names = list(BUILTIN_SERVERS) + [n for n in file.profiles if n not in BUILTIN_SERVERS]
    for name in names:
        raw = file.profiles.get(name, ProfileConfig())
        builtin = name in BUILTIN_SERVERS
        sandbox = name == SANDBOX_PROFILE
        if sandbox:
            server = SANDBOX_PLACEHOLDER_SERVER
        elif raw.server is not None:
            server = raw.server
        elif builtin:
            server = BUILTIN_SERVERS[name]
        else:  # dropped by validation: a custom profile must name its server
            continue
        profiles[name] = Profile(
            name=name,
            server=server,
            read_only=bool(raw.read_only),
            theme=raw.theme or app.theme,
            organization=raw.organization,
            edition=raw.edition,
            refresh_interval=raw.refresh_interval or app.refresh_interval,
            token_env=raw.token_env,
            operations=dict(raw.operations),
            builtin=builtin,
            sandbox=sandbox,
        )
    return profiles


def _normalize_keys(value: str | list[str]) -> str:
    items = value.split(",") if isinstance(value, str) else value
    keys = [item.strip() for item in items if item.strip()]
    return ",".join(keys)


def default_settings() -> Settings:
    """The settings used when there is no file at all."""
    return build_settings(ConfigFile())


def build_settings(file: ConfigFile) -> Settings:
    keymap = {k: _normalize_keys(v) for k, v in file.keymap.items() if _normalize_keys(v)}
    return Settings(
        app=file.app,
        profiles=_merge_profiles(file),
        keymap=keymap,
        last_profile=file.last_profile,
    )
