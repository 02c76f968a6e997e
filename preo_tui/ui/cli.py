"""The ``preo-tui`` command.

::

    preo-tui                        # the last used profile
    preo-tui --sandbox              # start a local sandbox (demo data kept in the data dir)
    preo-tui --profile staging      # a named profile
    preo-tui --server URL [--token-env VAR] [--read-only]
    preo-tui config path | config edit | config check
    preo-tui login [--profile P] [--method password|pin|token]
    preo-tui logout [--profile P]
    preo-tui doctor [--profile P | --server URL] [--write] [--json FILE]
    preo-tui --operations           # every API operation with its screen and key
    preo-tui --version

``PREO_PROFILE``, ``PREO_SERVER`` and ``PREO_TOKEN`` override the configuration file. Every
error is one line on stderr and exit status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import gc
import getpass
import os
import sys
from collections.abc import Sequence
from typing import Any

from preo_tui import __version__


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("preo-tui")
    except Exception:
        return __version__


class _VersionAction(argparse.Action):
    """``--version``, looked up only when asked (package metadata is slow to import)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(f"preo-tui {_version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="preo-tui",
        description="A keyboard-first terminal dashboard for Preo operators.",
        epilog="Environment: PREO_PROFILE, PREO_SERVER, PREO_TOKEN override the configuration.",
    )
    parser.add_argument(
        "--version", action=_VersionAction, nargs=0, help="show the version and exit"
    )
    parser.add_argument("--profile", "-p", help="profile to use (default: the last used one)")
    parser.add_argument("--server", help="server URL (overrides the profile's)")
    parser.add_argument(
        "--token-env", metavar="VAR", help="read the access token from this variable"
    )
    parser.add_argument("--read-only", action="store_true", help="refuse every write")
    parser.add_argument(
        "--sandbox", action="store_true", help="start a local sandbox with demo data and sign in"
    )
    parser.add_argument(
        "--operations",
        action="store_true",
        help="list every API operation with the screen and key performing it, and exit",
    )
    sub = parser.add_subparsers(dest="command", metavar="{config,login,logout,doctor}")
    config = sub.add_parser("config", help="show or edit the configuration file")
    config.add_argument("action", choices=("path", "edit", "check"))
    login = sub.add_parser("login", help="sign in from the command line and remember the tokens")
    login.add_argument("--method", choices=("password", "pin", "token"), default="password")
    login.add_argument("--email")
    login.add_argument("--phone")
    sub.add_parser("logout", help="forget the tokens of the profile")
    _add_doctor(sub)
    return parser


def _add_doctor(sub: Any) -> None:
    from preo_tui.doctor.cli import add_parser

    add_parser(sub)


class CliError(Exception):
    """An error for the operator: printed as one line, exit status 2."""


def _resolve(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    from preo_tui.config import ConfigError, check_fail_closed, load_settings, resolve_profile

    loaded = load_settings()
    try:
        # Fail closed before anything else (an "unknown profile" would hide a syntax error).
        check_fail_closed(loaded, None, server=args.server, sandbox=args.sandbox)
        profile = resolve_profile(
            loaded.settings,
            profile=args.profile,
            server=args.server,
            token_env=args.token_env,
            read_only=args.read_only,
            sandbox=args.sandbox,
        )
        checked = check_fail_closed(loaded, profile, server=args.server, sandbox=args.sandbox)
        profile = checked if checked is not None else profile
    except ConfigError as exc:
        raise CliError(str(exc)) from None
    return loaded, loaded.settings, profile


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.operations:
            from preo_tui.ui.operations import format_map

            print(format_map())
            return 0
        if args.command == "config":
            return _config(args)
        if args.command == "login":
            return _login(args)
        if args.command == "logout":
            return _logout(args)
        if args.command == "doctor":
            return _doctor(args)
        return _run(args)
    except CliError as exc:
        print(f"preo-tui: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _config(args: argparse.Namespace) -> int:
    import shlex
    import shutil
    import subprocess

    from preo_tui.config import (
        cache_dir,
        config_path,
        data_dir,
        load_settings,
        write_default_config,
    )
    from preo_tui.credentials import CredentialStore

    path = config_path()
    if args.action == "check":
        return _config_check(path)
    if args.action == "path":
        print(f"config:      {path}{'' if path.exists() else '  (not created yet)'}")
        print(f"data:        {data_dir()}")
        print(f"cache:       {cache_dir()}")
        print(f"credentials: {CredentialStore().backend_name}")
        return 0
    write_default_config(path)
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        editor = next((e for e in ("nano", "vi") if shutil.which(e)), None)
    if not editor:
        raise CliError(f"no editor found: set $EDITOR, or edit {path} by hand")
    try:
        subprocess.run([*shlex.split(editor), str(path)], check=False)
    except OSError as exc:
        raise CliError(f"cannot start the editor {editor!r}: {exc.strerror or exc}") from None
    result = load_settings(path)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not result.warnings:
        print(f"{path}: OK")
    return 0


def _config_check(path: Any) -> int:
    """Print every problem of the configuration file; exit status 1 when there is any."""
    from preo_tui.config import config_problems

    if not path.exists():
        print(f"{path}: no configuration file (the defaults are used)")
        return 0
    problems = config_problems(path)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {path}", file=sys.stderr)
        return 1
    print(f"{path}: OK")
    return 0


def _login(args: argparse.Namespace) -> int:
    import asyncio

    from preo_tui.credentials import CredentialStore, Tokens, login_with_token

    _, _, profile = _resolve(args)
    if profile.needs_server:
        raise CliError("the sandbox profile signs in by itself: run preo-tui --sandbox")
    store = CredentialStore()
    if args.method == "token":
        token = getpass.getpass("Access token (not shown): ").strip()
        try:
            login_with_token(store, profile, token)
        except Exception as exc:
            raise CliError(str(exc)) from None
        print(f"Token saved for profile {profile.name} ({store.backend_name}).")
        return 0

    async def run() -> Tokens:
        from preo_tui.api import PreoClient
        from preo_tui.ui.errors import describe_error

        async with PreoClient(base_url=profile.server, token=None) as client:
            try:
                if args.method == "password":
                    email = args.email or (await asyncio.to_thread(input, "Email: ")).strip()
                    password = await asyncio.to_thread(getpass.getpass, "Password: ")
                    pair = await client.auth.login(email, password)
                else:
                    phone = args.phone or (await asyncio.to_thread(input, "Phone (+45…): ")).strip()
                    await client.auth.request_pin(phone)
                    pin = (await asyncio.to_thread(input, "PIN sent by SMS: ")).strip()
                    pair = await client.auth.verify_pin(phone, pin)
            except Exception as exc:
                report = describe_error(exc)
                title = "sign-in failed" if report.kind == "AuthError" else report.title
                raise CliError(f"{title}: {report.message}") from None
            return Tokens(access=pair.access, refresh=pair.refresh)

    tokens = asyncio.run(run())
    store.login(profile, tokens)
    print(f"Signed in to {profile.server} as profile {profile.name} ({store.backend_name}).")
    return 0


def _logout(args: argparse.Namespace) -> int:
    from preo_tui.credentials import CredentialStore

    _, _, profile = _resolve(args)
    removed = CredentialStore().logout(profile)
    print(
        f"Signed out of {profile.name}." if removed else f"No tokens were held for {profile.name}."
    )
    return 0


def _doctor(args: argparse.Namespace) -> int:
    """``preo-tui doctor``: see ``preo_tui.doctor.cli`` (``--sandbox`` checks a fresh local
    sandbox, signed in as its admin)."""
    import asyncio

    from preo_tui.doctor.cli import DoctorError, run

    _, _, profile = _resolve(args)
    try:
        if not (args.sandbox or profile.sandbox):
            return run(profile, write=args.write, json_path=args.json)
        from preo_tui.config import sandbox_db_path
        from preo_tui.ui.sandbox_process import SandboxProcess

        try:
            sandbox = SandboxProcess(sandbox_db_path()).start()
        except RuntimeError as exc:
            raise CliError(str(exc)) from None
        try:
            info = asyncio.run(sandbox.ready())
            login = (info.admin_email or "", info.admin_password or "")
            return run(
                profile.with_server(info.base_url),
                write=args.write,
                json_path=args.json,
                login=login,
            )
        except RuntimeError as exc:
            raise CliError(str(exc)) from None
        finally:
            sandbox.stop()
    except DoctorError as exc:
        raise CliError(str(exc)) from None


def _run(args: argparse.Namespace) -> int:
    # Start-up creates a few hundred thousand long-lived objects (modules, classes, styles):
    # the cyclic collector would rescan them over and over for nothing (~10% of the CPU time
    # to the first frame, bench/startup.py). PreoApp(tune_gc=True) turns it back on, tuned,
    # once the first frame and the feature screens are loaded; the finally below in any case.
    gc.disable()
    # Pydantic looks for plugins (entry points of every installed distribution) when it
    # builds its first model: the app uses none, and the scan is start-up time before the
    # first frame. Set for this process and its sandbox child; an operator may still set it.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        return _run_app(args)
    finally:
        gc.enable()


def _run_app(args: argparse.Namespace) -> int:
    loaded, settings, profile = _resolve(args)
    from preo_tui.config import sandbox_db_path
    from preo_tui.credentials import CredentialStore
    from preo_tui.ui.app import PreoApp

    sandbox = None
    if args.sandbox or profile.sandbox:
        from preo_tui.ui.sandbox_process import SandboxProcess

        # Not started here: the app starts it (SandboxProcess.ready) at once when nothing is
        # cached, after the first frame when the cached home can be drawn without it (its
        # start-up would compete with that frame for the CPU). A failure to start is shown in
        # the app ("The sandbox did not start").
        sandbox = SandboxProcess(sandbox_db_path())
    app = PreoApp(
        profile,
        settings=settings,
        config=loaded,
        credentials=CredentialStore(),
        sandbox=sandbox,
        watchdog=True,
        tune_gc=True,
    )
    from preo_tui.ui.signals import install_exit_signals

    # SIGTERM/SIGQUIT/SIGHUP: the app exits through its loop (terminal restored), then the
    # finally below stops the sandbox child; a stuck app is forced out the same way.
    restore_signals = install_exit_signals(app, sandbox.stop if sandbox is not None else None)
    try:
        app.run()
    finally:
        restore_signals()
        if sandbox is not None:
            sandbox.stop()
    return app.return_code or 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
