"""Validating a parsed file with line-accurate diagnostics: each invalid value is dropped and
reported with its line and field (:func:`validate_config`, :func:`locate_key`), TOML syntax
errors become a warning with line and column, and a profile whose safety fields were dropped
is made read-only (fail closed on invalid values)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from preo_tui.config.model import ConfigFile, ConfigWarning, Settings
from preo_tui.config.paths import _BINDING_ID, _PROFILE_NAME
from preo_tui.config.servers import BUILTIN_SERVERS, SANDBOX_PROFILE

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
