"""``preo-tui doctor [--profile P | --server URL] [--write] [--json FILE]``.

Signs in the usual way (``PREO_TOKEN`` or the profile's ``token_env``, else the tokens
``preo-tui login`` stored), checks the server, prints the table and exits 0 when every
assumption held, 1 when one failed, 2 when the check could not run (no tokens, ``--write`` on
production, an unwritable ``--json`` file).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .report import Report


class DoctorError(Exception):
    """Why doctor could not run: one line for the operator, exit status 2."""


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """The ``doctor`` subcommand on ``preo-tui``'s parser."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "doctor",
        help="check a server against what preo-tui expects of it",
        description=(
            "Check every read operation of a Preo server against the client's operation "
            "registry and models; suggest [profiles.X.operations] overrides for the ones "
            "found under a neighbouring path. Exit 0: every assumption held; 1: one failed."
        ),
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--profile", "-p", default=argparse.SUPPRESS, help="profile to check")
    where.add_argument("--server", default=argparse.SUPPRESS, help="server URL to check")
    parser.add_argument(
        "--write",
        action="store_true",
        help="also create and delete a draft segment, a consent and a webhook endpoint "
        "(refused on production)",
    )
    parser.add_argument(
        "--json", metavar="FILE", help="also write the report as JSON ('-': stdout)"
    )
    return parser


def check_write_allowed(profile: Any, write: bool) -> None:
    if write and (profile.is_production or profile.read_only):
        why = "a production server" if profile.is_production else "a read-only profile"
        raise DoctorError(
            f"--write is refused on {why} ({profile.server}): doctor only reads there"
        )


def tokens_for(profile: Any) -> tuple[str, str | None]:
    from preo_tui.config import token_from_env
    from preo_tui.credentials import CredentialStore

    token = token_from_env(profile)
    if token:
        return token, None
    stored = CredentialStore().for_profile(profile)
    if stored is None:
        raise DoctorError(
            f"not signed in to {profile.server}: run preo-tui login --profile {profile.name}, "
            "or set PREO_TOKEN"
        )
    return stored.access, stored.refresh


async def check(
    profile: Any,
    *,
    token: str | None,
    refresh: str | None = None,
    login: tuple[str, str] | None = None,
    write: bool = False,
    transport: Any = None,
    err: TextIO | None = None,
) -> Report:
    """Run doctor for ``profile`` (its server and operation overrides)."""
    from preo_tui.api import PreoClient

    from .checks import WriteRefused, run_doctor

    check_write_allowed(profile, write)
    stream = err if err is not None else sys.stderr

    def progress(key: str) -> None:
        if stream.isatty():
            stream.write(f"\r\x1b[2Kchecking {key}…")
            stream.flush()

    async with PreoClient(
        base_url=profile.server,
        token=token,
        refresh_token=refresh,
        read_only=not write,  # fail closed: without --write nothing can be written
        operations=profile.operations,
        transport=transport,
    ) as client:
        if token is None and login is not None:  # the sandbox's admin: password sign-in
            from preo_tui.api.errors import PreoError

            try:
                pair = await client.auth.login(*login)
            except PreoError as exc:
                raise DoctorError(f"sign-in failed: {exc.message}") from None
            await client.set_tokens(pair.access, pair.refresh)
        try:
            report = await run_doctor(
                client,
                environment=str(profile.environment),
                write=write,
                production=profile.is_production,
                progress=progress,
            )
        except WriteRefused as exc:
            raise DoctorError(str(exc)) from None
    if stream.isatty():
        stream.write("\r\x1b[2K")
    return report


def emit(report: Report, *, profile: str, json_path: str | None, out: TextIO | None = None) -> int:
    """Print the table (and write the JSON); the exit status."""
    from rich.console import Console

    from .report import render

    console = Console(file=out or sys.stdout, soft_wrap=False)
    console.print(render(report, profile=profile))
    if json_path:
        text = report.dumps()
        if json_path == "-":
            (out or sys.stdout).write(text + "\n")
        else:
            try:
                Path(json_path).write_text(text + "\n", encoding="utf-8")
            except OSError as exc:
                raise DoctorError(f"cannot write {json_path}: {exc.strerror or exc}") from None
    return report.exit_code


def run(
    profile: Any,
    *,
    write: bool,
    json_path: str | None,
    login: tuple[str, str] | None = None,
) -> int:
    """The subcommand: sign in, check, print. ``login`` (email, password) signs in with a
    password instead of stored tokens (the embedded sandbox's admin)."""
    check_write_allowed(profile, write)
    token: str | None = None
    refresh: str | None = None
    if login is None:
        token, refresh = tokens_for(profile)
    report = asyncio.run(check(profile, token=token, refresh=refresh, login=login, write=write))
    return emit(report, profile=profile.name, json_path=json_path)
