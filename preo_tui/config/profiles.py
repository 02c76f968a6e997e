"""Choosing the profile to run with from the command line, the environment and the file
(:func:`resolve_profile`), and a token given through the environment (:func:`token_from_env`)."""

from __future__ import annotations

import os

from preo_tui.config.model import Profile, Settings
from preo_tui.config.paths import _ENV_NAME, ENV_PROFILE, ENV_SERVER, ENV_TOKEN, ConfigError, Env
from preo_tui.config.servers import SANDBOX_PROFILE, Environment, classify_server, normalize_server

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
