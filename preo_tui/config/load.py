"""Loading the configuration file (:func:`load_settings`, which never raises for a bad file),
failing closed on a file that cannot be parsed (:func:`check_fail_closed`, issue 14) and the
problems listed by ``preo-tui config check`` (:func:`config_problems`)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from preo_tui.config.model import (
    ConfigWarning,
    LoadResult,
    Profile,
    build_settings,
    default_settings,
)
from preo_tui.config.paths import CONFIG_FILENAME, ENV_SERVER, ConfigError, Env, config_path
from preo_tui.config.validate import (
    _read_only_where_dropped,
    _syntax_warning,
    locate_key,
    validate_config,
)


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
