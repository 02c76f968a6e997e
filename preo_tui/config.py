"""Profiles and settings.

The configuration is one TOML file, ``config.toml`` in the platformdirs config directory
(``PREO_CONFIG_DIR`` overrides the directory). It is read with :mod:`tomllib` (fast, stdlib),
validated with pydantic, and written with :mod:`tomlkit` so that the operator's comments and
layout survive every change the app makes (``set_last_profile``, ``save_profile``).

Invalid values never stop the app: :func:`load_settings` returns the settings it could read
plus a list of :class:`ConfigWarning` naming the line (and the field) of every problem; the
offending values fall back to their defaults and everything else is kept — except that a
profile whose ``read_only``/``server`` value or whole table was dropped is made read-only
until the file is fixed (fail closed).

A file that cannot be *parsed* (TOML syntax error, unreadable) fails closed: see
:func:`check_fail_closed`. The app stops with the error (file, line, column) before anything
connects, unless the profile in use is fully defined by the command line or environment
(``--sandbox``, or a server from ``--server``/``PREO_SERVER``) — and even then a production
server is read-only until the file is fixed. ``preo-tui config check`` prints every problem
(:func:`config_problems`) and exits non-zero.

Built-in profiles: ``development``, ``staging``, ``production`` (the Preo servers) and
``sandbox`` (a local sandbox on a loopback port chosen at run time). A ``[profiles.<name>]``
table refines a built-in profile or defines a custom one.

Precedence, strongest first: command-line options, then ``PREO_PROFILE`` / ``PREO_SERVER`` /
``PREO_TOKEN``, then the file. A command line can make a profile read-only, never writable.

Tokens never live here: see :mod:`preo_tui.credentials`.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

APP_NAME = "preo-tui"
CONFIG_FILENAME = "config.toml"

ENV_PROFILE = "PREO_PROFILE"
ENV_SERVER = "PREO_SERVER"
ENV_TOKEN = "PREO_TOKEN"
ENV_CONFIG_DIR = "PREO_CONFIG_DIR"
ENV_DATA_DIR = "PREO_DATA_DIR"
ENV_CACHE_DIR = "PREO_CACHE_DIR"

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

DEFAULT_THEME = "textual-dark"
DEFAULT_REFRESH_INTERVAL = 10.0
MIN_REFRESH_INTERVAL = 1.0

_PROFILE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_BINDING_ID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Env = Mapping[str, str]


class ConfigError(Exception):
    """A configuration problem the caller cannot recover from (an unknown profile asked for
    by name, a bad ``--server`` URL). The message is meant for the operator."""


# --------------------------------------------------------------------------------------------
# Locations


def _dir_from_env(env: Env | None, name: str, default: Path) -> Path:
    env = os.environ if env is None else env
    value = env.get(name, "").strip()
    return Path(value).expanduser() if value else default


def config_dir(env: Env | None = None) -> Path:
    """The directory holding ``config.toml`` (``PREO_CONFIG_DIR`` overrides)."""
    return _dir_from_env(env, ENV_CONFIG_DIR, platformdirs.user_config_path(APP_NAME))


def data_dir(env: Env | None = None) -> Path:
    """The user data directory: journal, credential file fallback, sandbox database
    (``PREO_DATA_DIR`` overrides)."""
    return _dir_from_env(env, ENV_DATA_DIR, platformdirs.user_data_path(APP_NAME))


def cache_dir(env: Env | None = None) -> Path:
    """The cache directory: one SQLite cache per server and user (``PREO_CACHE_DIR``
    overrides)."""
    return _dir_from_env(env, ENV_CACHE_DIR, platformdirs.user_cache_path(APP_NAME))


def config_path(env: Env | None = None) -> Path:
    """The configuration file."""
    return config_dir(env) / CONFIG_FILENAME


def sandbox_db_path(env: Env | None = None) -> Path:
    """Where ``--sandbox`` keeps its demo database, so it survives restarts."""
    return data_dir(env) / "sandbox.sqlite3"


def journal_path(env: Env | None = None) -> Path:
    """The write journal (JSON lines)."""
    return data_dir(env) / "journal.jsonl"


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


# --------------------------------------------------------------------------------------------
# Loading with line-accurate diagnostics


_TABLE = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*="""
)
_KEY_PART = re.compile(r"""\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*(?:\.|$)""")


def _split_key(text: str) -> tuple[str, ...]:
    parts: list[str] = []
    for match in _KEY_PART.finditer(text):
        token = match.group(1)
        if token.startswith('"'):
            token = token[1:-1].encode("utf-8").decode("unicode_escape")
        elif token.startswith("'"):
            token = token[1:-1]
        parts.append(token)
    return tuple(parts)


def locate_key(text: str, loc: tuple[str, ...]) -> int | None:
    """The 1-based line of the key ``loc`` (e.g. ``("profiles", "staging", "theme")``) in TOML
    ``text``; failing that, the line of its nearest enclosing table or key."""
    table: tuple[str, ...] = ()
    best: tuple[int, int] | None = None  # (matched length, line)
    in_multiline: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        table_match = _TABLE.match(line)
        if table_match and not _KEY.match(line):
            table = _split_key(table_match.group(2))
            path = table
        else:
            key_match = _KEY.match(line)
            if not key_match:
                continue
            path = table + _split_key(key_match.group(1))
            rest = line[key_match.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2 == 1:
                    in_multiline = quote
        common = 0
        for have, want in zip(path, loc, strict=False):
            if have != want:
                break
            common += 1
        if common == 0 or common < len(path):
            continue  # only count paths that are a prefix of the wanted location
        if best is None or common > best[0]:
            best = (common, number)
    return best[1] if best else None


def _remove(raw: dict[str, Any], loc: tuple[str | int, ...]) -> tuple[str, ...]:
    """Remove the deepest existing key along ``loc``; return the path removed."""
    node: Any = raw
    path: list[str] = []
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            parent, key = node, part
            path.append(part)
            node = node[part]
        else:
            break
    if path:
        del parent[key]
    return tuple(path)


def _field_label(loc: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in loc if p != "[key]")


def validate_config(
    raw: dict[str, Any], text: str = "", path: Path | None = None
) -> tuple[ConfigFile, list[ConfigWarning]]:
    """Validate a parsed file, dropping each invalid value (and reporting it) until the rest
    validates."""
    warnings: list[ConfigWarning] = []
    dropped: set[tuple[str, ...]] = set()
    # Work on a deep copy: the caller's dict stays untouched.
    data = _deep_copy(raw)
    for table, pattern, what in (
        ("profiles", _PROFILE_NAME, "a profile name (letters, digits, '-' and '_')"),
        ("keymap", _BINDING_ID, "a binding id"),
    ):
        section = data.get(table)
        if not isinstance(section, dict):
            continue
        for name in [n for n in section if not pattern.match(n)]:
            del section[name]
            warnings.append(
                ConfigWarning(
                    f"{name!r} is not {what}; ignored",
                    line=locate_key(text, (table, name)) if text else None,
                    field=f"{table}.{name}",
                    path=path,
                )
            )
    for _ in range(200):
        try:
            file = ConfigFile.model_validate(data)
        except ValidationError as exc:
            progressed = False
            for error in exc.errors():
                loc = tuple(p for p in error["loc"] if p != "[key]")
                if error["type"] == "extra_forbidden":
                    message = "unknown setting, ignored"
                else:
                    message = f"{error['msg']} (got {_show(error.get('input'))}); using the default"
                str_loc = tuple(str(p) for p in loc)
                if any(str_loc[: len(done)] == done for done in dropped):
                    continue  # the same value failed several union branches: reported once
                line = locate_key(text, str_loc) if text else None
                removed = _remove(data, loc)
                if removed:
                    dropped.add(removed)
                    progressed = True
                    warnings.append(
                        ConfigWarning(
                            message=message,
                            line=line,
                            field=_field_label(removed),
                            path=path,
                        )
                    )
            if not progressed:
                warnings.append(
                    ConfigWarning("the file could not be read; using defaults", path=path)
                )
                return ConfigFile(), warnings
            continue
        break
    else:  # pragma: no cover - 200 rounds means every value was bad
        return ConfigFile(), warnings
    for name, profile in file.profiles.items():
        if ("profiles", name, "server") in dropped:
            continue  # already reported: the server value itself was invalid
        if name not in BUILTIN_SERVERS and profile.server is None:
            warnings.append(
                ConfigWarning(
                    "a custom profile needs a server URL; profile ignored",
                    line=locate_key(text, ("profiles", name)) if text else None,
                    field=f"profiles.{name}.server",
                    path=path,
                )
            )
        if name == SANDBOX_PROFILE and profile.server is not None:
            warnings.append(
                ConfigWarning(
                    "the sandbox's server is chosen when it starts; ignored",
                    line=locate_key(text, ("profiles", name, "server")) if text else None,
                    field=f"profiles.{name}.server",
                    path=path,
                )
            )
    return file, warnings


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def load_settings(path: Path | None = None, env: Env | None = None) -> LoadResult:
    """Read and validate the configuration file; never raises for a bad file.

    A missing file gives the defaults with no warning; an unreadable file or a TOML syntax
    error gives the defaults and one warning naming the line; invalid values are dropped one
    by one, each with a warning naming its line and field.
    """
    path = config_path(env) if path is None else path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LoadResult(default_settings(), [], path, exists=False)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        warning = ConfigWarning(f"cannot read the file ({reason}); using defaults", path=path)
        return LoadResult(default_settings(), [warning], path, exists=True, unparsable=warning)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        warning = _syntax_warning(exc, path)
        return LoadResult(default_settings(), [warning], path, exists=True, unparsable=warning)
    file, warnings = validate_config(raw, text, path)
    settings = _read_only_where_dropped(build_settings(file), warnings)
    if settings.app.default_profile not in settings.profiles:
        warnings.append(
            ConfigWarning(
                f"no profile named {settings.app.default_profile!r}; the sandbox is the default",
                line=locate_key(text, ("app", "default_profile")),
                field="app.default_profile",
                path=path,
            )
        )
    return LoadResult(settings, warnings, path, exists=True)


_AT_LINE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_AT_END = re.compile(r"\s*\(at end of document\)\s*$")


def _syntax_warning(exc: tomllib.TOMLDecodeError, path: Path) -> ConfigWarning:
    message = str(exc)
    line: int | None = None
    column: int | None = None
    match = _AT_LINE.search(message)
    if match:
        line = int(match.group(1))
        column = int(match.group(2))
        message = _AT_LINE.sub("", message) + f" (column {column})"
    elif _AT_END.search(message):
        message = _AT_END.sub("", message) + " (at the end of the file)"
    text = message[:1].lower() + message[1:]
    return ConfigWarning(
        f"TOML syntax error: {text}; using defaults", line=line, path=path, column=column
    )


# --------------------------------------------------------------------------------------------
# Failing closed (issue 14)

#: Fields whose loss must never loosen a profile: dropping one makes the profile read-only.
_SAFETY_FIELDS = ("read_only", "server")


def _read_only_where_dropped(settings: Settings, warnings: list[ConfigWarning]) -> Settings:
    """Fail closed on invalid values: a profile whose ``read_only`` or ``server`` value (or
    whole table) was dropped is read-only until the file is fixed."""
    names: set[str] = set()
    for warning in warnings:
        parts = (warning.field or "").split(".")
        in_profile = len(parts) >= 2 and parts[0] == "profiles" and parts[1] in settings.profiles
        if in_profile and (len(parts) == 2 or parts[2] in _SAFETY_FIELDS):
            names.add(parts[1])
    if not names:
        return settings
    profiles = dict(settings.profiles)
    for name in sorted(names):
        if not profiles[name].read_only:
            profiles[name] = profiles[name].model_copy(update={"read_only": True})
            warnings.append(
                ConfigWarning(
                    "read-only until the errors in its settings are fixed",
                    field=f"profiles.{name}",
                    path=warnings[0].path if warnings else None,
                )
            )
    return settings.model_copy(update={"profiles": profiles})


def describe_unparsable(problem: ConfigWarning) -> str:
    """``/path/config.toml:4:17: TOML syntax error: ...`` (file, line, column)."""
    where = str(problem.path) if problem.path else CONFIG_FILENAME
    if problem.line is not None:
        where += f":{problem.line}"
        if problem.column is not None:
            where += f":{problem.column}"
    message = problem.message.removesuffix("; using defaults")
    return f"{where}: {message}"


def fully_defined_outside_file(
    *, server: str | None = None, sandbox: bool = False, env: Env | None = None
) -> bool:
    """Is the profile in use fully defined without the file (``--sandbox``, or a server
    given by ``--server`` / ``PREO_SERVER``)? A profile *name* alone is not: the file may
    have refined it (``read_only = true`` on production)."""
    env = os.environ if env is None else env
    return sandbox or bool(server) or bool(env.get(ENV_SERVER, "").strip())


def check_fail_closed(
    loaded: LoadResult,
    profile: Profile | None,
    *,
    server: str | None = None,
    sandbox: bool = False,
    env: Env | None = None,
) -> Profile | None:
    """Fail closed on a file that could not be parsed.

    Raises :class:`ConfigError` (file, line, column; "run preo-tui config check") unless the
    profile is fully defined by the command line/environment; then returns ``profile`` made
    read-only when its server is production. Returns ``profile`` unchanged for a good file.
    """
    problem = loaded.unparsable
    if problem is None:
        return profile
    if not fully_defined_outside_file(server=server, sandbox=sandbox, env=env):
        raise ConfigError(
            f"{describe_unparsable(problem)}\nThe configuration could not be read, so nothing"
            " was started (its profiles may be read-only). Fix the file, or run"
            " `preo-tui config check`; `preo-tui --server URL` runs without it."
        )
    if profile is not None and profile.is_production and not profile.read_only:
        profile = profile.model_copy(update={"read_only": True})
        loaded.warnings.append(
            ConfigWarning(
                "production is read-only until the configuration file is fixed",
                path=problem.path,
            )
        )
    return profile


def config_problems(path: Path | None = None, env: Env | None = None) -> list[str]:
    """Every problem of the configuration file, one line each (``preo-tui config check``)."""
    loaded = load_settings(path, env)
    if loaded.unparsable is not None:
        return [describe_unparsable(loaded.unparsable)]
    out = []
    for warning in loaded.warnings:
        where = str(warning.path or loaded.path or CONFIG_FILENAME)
        if warning.line is not None:
            where += f":{warning.line}"
        subject = f"{warning.field}: " if warning.field else ""
        out.append(f"{where}: {subject}{warning.message}")
    return out


# --------------------------------------------------------------------------------------------
# Choosing the profile


def resolve_profile(
    settings: Settings,
    *,
    profile: str | None = None,
    server: str | None = None,
    token_env: str | None = None,
    read_only: bool = False,
    sandbox: bool = False,
    env: Env | None = None,
) -> Profile:
    """The profile to run with, from command-line options, environment and file.

    - ``sandbox=True`` (``--sandbox``) picks the sandbox profile (bind it with
      :meth:`Profile.with_server` once the sandbox listens).
    - ``profile`` (``--profile``) or ``PREO_PROFILE`` names a profile; unknown -> ConfigError.
    - ``server`` (``--server``) or ``PREO_SERVER`` replaces the server. Without a profile
      name it picks the configured profile with that server (keeping its read-only flag) or
      an ad-hoc profile named after the environment.
    - otherwise ``last_profile``, then ``app.default_profile``, then ``sandbox``.
    - ``read_only`` only ever tightens; ``token_env`` replaces the profile's.
    """
    env = os.environ if env is None else env
    if sandbox:
        chosen = settings.profile(SANDBOX_PROFILE)
    else:
        name = profile or env.get(ENV_PROFILE, "").strip() or None
        server_url = server or env.get(ENV_SERVER, "").strip() or None
        if server_url is not None:
            try:
                server_url = normalize_server(server_url)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        if name is not None:
            chosen = settings.profile(name)
            if server_url is not None:
                chosen = chosen.model_copy(update={"server": server_url, "sandbox": False})
        elif server_url is not None:
            found = settings.profile_for_server(server_url)
            if found is not None:
                chosen = found
            else:
                kind = classify_server(server_url)
                chosen = Profile(
                    name=kind.value if kind is not Environment.CUSTOM else "custom",
                    server=server_url,
                    theme=settings.app.theme,
                    refresh_interval=settings.app.refresh_interval,
                )
        else:
            for candidate in (settings.last_profile, settings.app.default_profile):
                if candidate and candidate in settings.profiles:
                    chosen = settings.profiles[candidate]
                    break
            else:
                chosen = settings.profiles[SANDBOX_PROFILE]
    if token_env is not None:
        if not _ENV_NAME.match(token_env):
            raise ConfigError(f"{token_env!r} is not a valid environment variable name")
        chosen = chosen.model_copy(update={"token_env": token_env})
    if read_only and not chosen.read_only:
        chosen = chosen.model_copy(update={"read_only": True})
    return chosen


def token_from_env(profile: Profile, env: Env | None = None) -> str | None:
    """A token given through the environment: ``PREO_TOKEN`` first, then the profile's
    ``token_env`` variable. ``None`` when neither is set (use the credential store)."""
    env = os.environ if env is None else env
    for name in (ENV_TOKEN, profile.token_env):
        if name:
            value = env.get(name, "").strip()
            if value:
                return value
    return None


# --------------------------------------------------------------------------------------------
# Writing (comment-preserving)

DEFAULT_CONFIG = """\
# preo-tui configuration.
# Tokens are never stored here: they live in the system keyring (or a 0600 file).

# preo-tui records the profile used last here (last_profile = "...") and starts with it
# when no profile is named.

[app]
# Theme when a profile names none: any Textual theme ("textual-dark", "nord", ...),
# or "ansi-dark" / "ansi-light" for 16-colour terminals.
theme = "textual-dark"
# "osc52": copy through the terminal (works over SSH and tmux); "show": show the text instead.
clipboard = "osc52"
# Seconds between background refreshes of the screen on display.
refresh_interval = 10
# Rows fetched per page (at most 500).
page_size = 100
# Keep an on-disk cache so the app starts instantly and can read while offline.
disk_cache = true
# Profile used when none is named and none was used before.
default_profile = "sandbox"

# Built-in profiles: development (https://api.preo.dev), staging
# (https://api-staging.preo.dev), production (https://api.preo.cloud) and sandbox
# (a local sandbox started by `preo-tui --sandbox`). Refine them or add your own:
#
# [profiles.production]
# read_only = true
# theme = "textual-light"
# organization = "org_..."
# edition = "edt_..."
# refresh_interval = 30
#
# [profiles.eu-mirror]
# server = "https://preo.example.com"
# token_env = "EU_MIRROR_TOKEN"   # read the token from this environment variable

# To look at production without any risk of changing it:
# [profiles.production]
# read_only = true

# A server that names an operation differently (preo-tui doctor suggests these):
# [profiles.staging.operations]
# "refunds.approve" = "POST /v1/refunds/{id}/approve"

# Remap any binding by its id (shown in the ? help). Several keys: "a,f5".
[keymap]
# "refunds.approve" = "A"
"""


def write_default_config(path: Path | None = None, *, overwrite: bool = False) -> Path:
    """Write the commented default configuration. An existing file is kept unless
    ``overwrite``. Returns the path."""
    path = config_path() if path is None else path
    if path.exists() and not overwrite:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write_text(path, DEFAULT_CONFIG)
    return path


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    mode = 0o600
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        pass
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _edit(path: Path, change: Any) -> None:
    """Apply ``change(document)`` to the file with tomlkit, keeping comments. A file that
    does not parse is left alone (raises ConfigError) rather than overwritten."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = DEFAULT_CONFIG
    try:
        document = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigError(f"{path}: cannot update a file with a syntax error ({exc})") from None
    change(document)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write_text(path, tomlkit.dumps(document))


def set_last_profile(name: str, path: Path | None = None) -> None:
    """Record the profile used last, preserving the file's comments and layout. The sandbox
    profile is recorded too (``preo-tui`` then starts a sandbox again)."""
    if not _PROFILE_NAME.match(name):
        raise ConfigError(f"invalid profile name {name!r}")
    path = config_path() if path is None else path

    def change(document: Any) -> None:
        # tomlkit places a new top-level key before the first table, as TOML requires.
        document["last_profile"] = name

    _edit(path, change)


def save_profile(name: str, values: Mapping[str, Any], path: Path | None = None) -> None:
    """Create or update ``[profiles.<name>]`` with ``values`` (``None`` removes a key),
    preserving comments. Values are validated first."""
    import tomlkit

    if not _PROFILE_NAME.match(name):
        raise ConfigError(f"invalid profile name {name!r}")
    clean = {k: v for k, v in values.items() if v is not None}
    try:
        ProfileConfig.model_validate(clean)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"profiles.{name}.{_field_label(first['loc'])}: {first['msg']}") from None
    path = config_path() if path is None else path

    def change(document: Any) -> None:
        profiles = document.get("profiles")
        if profiles is None:
            profiles = tomlkit.table(is_super_table=True)
            document["profiles"] = profiles
        table = profiles.get(name)
        if table is None:
            table = tomlkit.table()
            profiles[name] = table
        for key, value in values.items():
            if value is None:
                if key in table:
                    del table[key]
            else:
                table[key] = value

    _edit(path, change)
