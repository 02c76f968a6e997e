"""Value-set checks: a condition that compares with a value that cannot exist is valid CEL but
selects nobody (``o.status == "paid"``, ``user.language == "sv"``, ``"cns_newsleter" in
user.consents``). These are warnings, not errors (a server may know values we don't), built
from the same dynamic value sets completion offers, so the two never disagree.
"""

from __future__ import annotations

import difflib

from .check import Diagnostic
from .complete import _Analysis, _string_context, _values
from .schema import CelContext, contract_context
from .tokens import offset_to_position, tokenize

#: What the operator may mean by a language code the platform spells differently.
LANGUAGE_HINTS: dict[str, str] = {
    "sv": "se",  # Swedish
    "dk": "da",  # Danish (the country code)
    "nb": "no",
    "nn": "no",
    "gb": "en",
    "uk": "en",
}

#: For each value source: what a value of it is ("order status") and the plural.
_WHAT: dict[str, tuple[str, str]] = {
    "order_statuses": ("no order has status {v!r}", "order statuses are"),
    "order_types": ("no order has type {v!r}", "order types are"),
    "purchase_statuses": ("no purchase has status {v!r}", "purchase statuses are"),
    "languages": ("no user has language {v!r}", "languages are"),
    "products": ("unknown product id {v!r}", "product ids are"),
    "product_names": ("no product is named {v!r}", "products are"),
    "consents": ("unknown consent {v!r}", "consents are"),
}


def _unquote(raw: str) -> str | None:
    for quote in ('"""', "'''", '"', "'"):
        if raw.startswith(quote) and raw.endswith(quote) and len(raw) >= 2 * len(quote):
            body = raw[len(quote) : -len(quote)]
            return None if "\\" in body else body
    return None


def _listing(known: list[str], limit: int = 8) -> str:
    shown = ", ".join(known[:limit])
    return shown + (f", … ({len(known)} in all)" if len(known) > limit else "")


def value_warnings(text: str, context: CelContext | None = None) -> tuple[Diagnostic, ...]:
    """Warnings for string literals compared with a field whose values are known (the
    context's dynamic values) and that match none of them. Never raises."""
    ctx = context if context is not None else contract_context()
    try:
        return tuple(_warnings(text, ctx))
    except Exception:  # a convenience: never break the editor or the server's check
        return ()


def _warnings(text: str, ctx: CelContext) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for tok in tokenize(text):
        if tok.kind != "string":
            continue
        value = _unquote(text[tok.start : tok.end])
        if value is None:
            continue
        a = _Analysis(text, tok.start + 1, ctx)
        source = _string_context(a, len(a.tokens) - 1)
        if not source:
            continue
        known = [c.text for c in _values(ctx, source)]
        if not known or value in known:
            continue
        wrong, plural = _WHAT.get(source, ("unknown value {v!r}", "values are"))
        message = wrong.format(v=value)
        hint = LANGUAGE_HINTS.get(value.lower()) if source == "languages" else None
        close = difflib.get_close_matches(value, known, n=1, cutoff=0.75)
        if source == "products" and not close:
            by_name = [
                c.value for c in ctx.dynamic_values.products if value.lower() in c.label.lower()
            ]
            close = by_name[:1]
        if hint is not None and hint in known:
            message += f" (did you mean {hint!r}?)"
        elif close:
            message += f" (did you mean {close[0]!r}?)"
        message += f"; {plural} {_listing(known)}"
        line, column = offset_to_position(text, tok.start)
        out.append(
            Diagnostic(line, column, column + (tok.end - tok.start), message, "unknown_value")
        )
    return out


__all__ = ["LANGUAGE_HINTS", "value_warnings"]
