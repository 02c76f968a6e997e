"""Writing the configuration file, keeping the operator's comments and layout (tomlkit,
atomic replace): the commented default file, the profile used last, a profile's table."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from preo_tui.config.model import ProfileConfig
from preo_tui.config.paths import _PROFILE_NAME, ConfigError, config_path
from preo_tui.config.validate import _field_label

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
