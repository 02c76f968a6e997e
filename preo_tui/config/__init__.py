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

The package's modules: ``paths`` (file, directories, environment variables), ``servers``
(server URLs and environments), ``model`` (the file's schema and the effective settings),
``validate`` (line-accurate diagnostics), ``load`` (loading, failing closed, ``config check``),
``profiles`` (choosing the profile), ``write`` (comment-preserving edits). Everything public
is re-exported here: import from :mod:`preo_tui.config`.
"""

from __future__ import annotations

from preo_tui.config.load import (
    check_fail_closed,
    config_problems,
    describe_unparsable,
    fully_defined_outside_file,
    load_settings,
)
from preo_tui.config.model import (
    DEFAULT_REFRESH_INTERVAL,
    DEFAULT_THEME,
    MIN_REFRESH_INTERVAL,
    AppSettings,
    ConfigFile,
    ConfigWarning,
    LoadResult,
    OperationKey,
    OperationOverride,
    Profile,
    ProfileConfig,
    Settings,
    build_settings,
    default_settings,
)
from preo_tui.config.paths import (
    APP_NAME,
    CONFIG_FILENAME,
    ENV_CACHE_DIR,
    ENV_CONFIG_DIR,
    ENV_DATA_DIR,
    ENV_PROFILE,
    ENV_SERVER,
    ENV_TOKEN,
    ConfigError,
    Env,
    cache_dir,
    config_dir,
    config_path,
    data_dir,
    journal_path,
    sandbox_db_path,
)
from preo_tui.config.profiles import (
    resolve_profile,
    token_from_env,
)
from preo_tui.config.servers import (
    BUILTIN_SERVERS,
    DEVELOPMENT_SERVER,
    PRODUCTION_SERVER,
    SANDBOX_PLACEHOLDER_SERVER,
    SANDBOX_PROFILE,
    STAGING_SERVER,
    Environment,
    classify_server,
    normalize_server,
)
from preo_tui.config.validate import (
    locate_key,
    validate_config,
)
from preo_tui.config.write import (
    DEFAULT_CONFIG,
    save_profile,
    set_last_profile,
    write_default_config,
)

__all__ = [
    "APP_NAME",
    "AppSettings",
    "BUILTIN_SERVERS",
    "CONFIG_FILENAME",
    "ConfigError",
    "ConfigFile",
    "ConfigWarning",
    "DEFAULT_CONFIG",
    "DEFAULT_REFRESH_INTERVAL",
    "DEFAULT_THEME",
    "DEVELOPMENT_SERVER",
    "ENV_CACHE_DIR",
    "ENV_CONFIG_DIR",
    "ENV_DATA_DIR",
    "ENV_PROFILE",
    "ENV_SERVER",
    "ENV_TOKEN",
    "Env",
    "Environment",
    "LoadResult",
    "MIN_REFRESH_INTERVAL",
    "OperationKey",
    "OperationOverride",
    "PRODUCTION_SERVER",
    "Profile",
    "ProfileConfig",
    "SANDBOX_PLACEHOLDER_SERVER",
    "SANDBOX_PROFILE",
    "STAGING_SERVER",
    "Settings",
    "build_settings",
    "cache_dir",
    "check_fail_closed",
    "classify_server",
    "config_dir",
    "config_path",
    "config_problems",
    "data_dir",
    "default_settings",
    "describe_unparsable",
    "fully_defined_outside_file",
    "journal_path",
    "load_settings",
    "locate_key",
    "normalize_server",
    "resolve_profile",
    "sandbox_db_path",
    "save_profile",
    "set_last_profile",
    "token_from_env",
    "validate_config",
    "write_default_config",
]
