"""Names and places of the configuration: the file, the environment variables that steer it,
the config/data/cache directories (platformdirs, each overridable from the environment), the
shared name patterns and :class:`ConfigError`."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import platformdirs

APP_NAME = "preo-tui"
CONFIG_FILENAME = "config.toml"

ENV_PROFILE = "PREO_PROFILE"
ENV_SERVER = "PREO_SERVER"
ENV_TOKEN = "PREO_TOKEN"
ENV_CONFIG_DIR = "PREO_CONFIG_DIR"
ENV_DATA_DIR = "PREO_DATA_DIR"
ENV_CACHE_DIR = "PREO_CACHE_DIR"


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
