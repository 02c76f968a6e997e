"""CEL benchmarks: the local check per keystroke (target p99 <= 2 ms) and evaluation speed.

Run with ``python bench/cel.py`` (or name benchmarks: ``python bench/cel.py local-check``).

- ``local-check``: types the longest example condition of the contract character by character
  (every prefix is one keystroke) and times ``check()`` with its memo disabled, over several
  rounds, then prints the median and p99.
- ``evaluate``: compiles each contract example once and evaluates it over 100,000 synthetic
  users (deterministic) as plain records, the way the sandbox computes a segment; prints the
  time per full pass (target <= 2 s).
- ``worst-inputs``: the checker on the largest condition it accepts (target <= 1 s) and on
  inputs it refuses for their size (10 MB of "x", too many parentheses, 50,000 "é": target
  <= 0.5 s each) — the timings the tests used to assert.

Other measurements (for example keystroke-to-diagnostic in the editor) are added as functions
returning a :class:`Figures` and registered in ``BENCHMARKS``.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from preo_tui.cel import (
    CONTRACT_EXAMPLES,
    MAX_CONDITION_LENGTH,
    check,
    compile_condition,
    contract_context,
    field_usage,
    slim,
    timestamp_value,
)


@dataclass
class Figures:
    name: str
    samples_ms: list[float]
    target_ms: float | None = None
    percentile: int = 99

    def line(self) -> str:
        s = sorted(self.samples_ms)
        med = statistics.median(s)
        p = s[min(len(s) - 1, int(len(s) * self.percentile / 100))]
        verdict = ""
        if self.target_ms is not None:
            verdict = "  OK" if p <= self.target_ms else f"  OVER TARGET ({self.target_ms} ms)"
        return (
            f"{self.name}: n={len(s)} median {med:.3f} ms, p{self.percentile} {p:.3f} ms, "
            f"max {s[-1]:.3f} ms{verdict}"
        )


def keystrokes(text: str) -> list[str]:
    """Every state of the editor while ``text`` is typed one character at a time."""
    return [text[:i] for i in range(1, len(text) + 1)]


def local_check(rounds: int = 30) -> Figures:
    """Time ``check()`` (parse + type-check + diagnostics) for each keystroke state."""
    context = contract_context()
    longest = max(CONTRACT_EXAMPLES, key=len)
    states = keystrokes(longest)
    check(longest, context)  # build the environments once, as the editor does on open
    samples: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        for state in states:
            c0 = time.thread_time()
            t0 = time.perf_counter()
            check(state, context, use_cache=False)
            samples.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
    # On a shared machine the wall-clock tail is mostly the process waiting for a CPU; the
    # thread's CPU time shows what the check itself costs.
    print(
        f"  (CPU time of the same checks: median {statistics.median(cpu):.3f} ms,"
        f" p99 {sorted(cpu)[int(len(cpu) * 0.99)]:.3f} ms)"
    )
    return Figures(f"local check per keystroke ({len(longest)} chars typed)", samples, 2.0)


def editor_keystroke(rounds: int = 3) -> Figures:
    """Keystroke to diagnostic drawn in the segment editor (target: median <= 16 ms).

    The editor widget (highlighting, local check, diagnostics, completion menu) runs in a
    headless Textual app at 120x40; every compositor update handed to ``App._display`` is
    timestamped with the text the editor had checked by then. A keystroke's latency is the time
    from posting the key to the first frame drawn with the diagnostics of the new text (Textual
    draws at most 60 frames a second, so up to ~16.7 ms of it is waiting for the next frame).
    The longest contract example is typed character by character, ``rounds`` times.
    """

    import asyncio

    from textual.app import App, ComposeResult
    from textual.widgets import Static

    from preo_tui.ui.segments.cel_editor import CelEditor

    # (time, text the editor had checked and drawn diagnostics for) of every frame
    frames: list[tuple[float, str | None]] = []

    class Bench(App[None]):
        def compose(self) -> ComposeResult:
            yield CelEditor("", id="ed")

        def _display(self, screen: object, renderable: object) -> None:  # type: ignore[override]
            if renderable is not None:
                editor = self.query_one(CelEditor)
                frames.append((time.perf_counter(), editor._checked_text))
            super()._display(screen, renderable)  # type: ignore[arg-type]

    longest = max(CONTRACT_EXAMPLES, key=len)
    samples: list[float] = []

    async def run() -> None:
        app = Bench()
        async with app.run_test(size=(120, 40)) as pilot:
            editor = app.query_one(CelEditor)
            editor.area.cursor_blink = False
            editor.focus_input()
            await pilot.pause()
            problems = editor.query_one("#cel-problems", Static)
            for _ in range(rounds):
                editor.text = ""
                await pilot.pause()
                for i, ch in enumerate(longest):
                    t0 = time.perf_counter()
                    await pilot.press(ch)
                    # the first frame drawn with the diagnostics of the new text
                    want = longest[: i + 1]
                    drawn = [t for t, checked in frames if t > t0 and checked == want]
                    if not drawn:
                        raise AssertionError(f"no frame drawn for {want!r}")
                    samples.append((drawn[0] - t0) * 1000)
                    first = editor.result.first
                    shown = str(problems.render())
                    if first is not None and f"column {first.column}:" not in shown:
                        raise AssertionError(f"diagnostic not drawn after {ch!r}: {shown!r}")
                if editor.text != longest:
                    raise AssertionError(f"typed {editor.text!r}")

    asyncio.run(run())
    return Figures(
        f"editor keystroke -> diagnostic drawn ({len(longest)} chars x {rounds})",
        samples,
        16.0,
        percentile=50,
    )


def synthetic_users(n: int = 100_000, seed: int = 42) -> list[dict[str, object]]:
    """Plain records shaped like the contract's context (timestamps as protobuf values)."""
    rnd = random.Random(seed)
    now = dt.datetime(2026, 7, 3, 10, 0, tzinfo=dt.UTC)
    products = ["prd_vip", "prd_weekend", "prd_day_fri", "prd_camping", "prd_topup"]
    edition = {
        "id": "edt_1",
        "name": "Edition",
        "start_date": timestamp_value(now),
        "end_date": timestamp_value(now),
    }
    out: list[dict[str, object]] = []
    for i in range(n):
        orders = []
        for j in range(rnd.choice((1, 1, 1, 2, 3))):
            purchases = [
                {
                    "product_id": rnd.choice(products),
                    "product_name": "x",
                    "quantity": rnd.randint(1, 3),
                    "amount": round(rnd.uniform(20, 2500), 2),
                    "status": rnd.choice(("active", "active", "active", "refunded")),
                }
                for _ in range(rnd.randint(1, 3))
            ]
            orders.append(
                {
                    "id": f"ord_{i}_{j}",
                    "order_number": f"N{i}-{j}",
                    "status": rnd.choice(("pending", "confirmed", "completed", "completed")),
                    "type": "online",
                    "amount": float(sum(p["amount"] for p in purchases)),
                    "created": timestamp_value(now - dt.timedelta(days=rnd.randint(0, 300))),
                    "purchases": purchases,
                }
            )
        user = {
            "id": f"usr_{i}",
            "email": f"user{i}@example.com",
            "phone": f"+45{20000000 + i}",
            "first_name": "A",
            "last_name": "B",
            "language": rnd.choice(("da", "da", "en", "se")),
            "country_code": "+45",
            "created": timestamp_value(now - dt.timedelta(days=rnd.randint(0, 900))),
            "consents": ["cns_newsletter"] if rnd.random() < 0.45 else [],
        }
        out.append({"user": user, "orders": orders, "edition": edition, "now": now})
    return out


def evaluate(n: int = 100_000) -> Figures:
    """One full pass of each contract example over ``n`` users, as the sandbox evaluates.

    The sandbox hands the library only the fields a condition reads (:func:`slim`); the
    whole-record time is printed beside it for comparison. The figure is the slim pass.
    """
    users = synthetic_users(n)
    context = contract_context()
    samples: list[float] = []
    print(f"  {'slim':>7} {'whole':>7}  matched   (of {n:,})")
    for text in CONTRACT_EXAMPLES:
        condition = compile_condition(text, context)
        usage = field_usage(text, context)
        records = [slim(u, usage) for u in users]
        t0 = time.perf_counter()
        matched = len(condition.select(records))
        slim_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        whole = len(condition.select(users))
        whole_ms = (time.perf_counter() - t0) * 1000
        if whole != matched:
            raise AssertionError(f"slim records changed the result of {text!r}")
        samples.append(slim_ms)
        print(f"  {slim_ms / 1000:6.2f}s {whole_ms / 1000:6.2f}s  {matched:7,d}   {text}")
    print(
        "  (issue 20: a segment recalculation in the sandbox <= 0.7 s and <= 2x the pure pass of"
        " the same condition; measured against the sandbox's own data by bench/sandbox.py)"
    )
    return Figures(f"evaluation pass over {n:,} users", samples, 2000.0, percentile=100)


def editor_keystroke_app(rounds: int = 2) -> Figures:
    """The same measurement in the whole app: the segment editor screen of a ``PreoApp``
    signed in to an in-process sandbox (tiny seed, over ASGI, no sockets) at 160x48, with the
    frame, the side panel and the debounced server check live."""
    import asyncio
    import os
    import tempfile

    import httpx
    from textual.widgets import Static

    from preo_tui.api import PreoClient
    from preo_tui.config import default_settings
    from preo_tui.credentials import Tokens
    from preo_tui.sandbox.app import create_app
    from preo_tui.sandbox.settings import SandboxSettings
    from preo_tui.sandbox.state import SandboxState
    from preo_tui.ui.app import PreoApp
    from preo_tui.ui.segments.editor import SegmentEditorScreen
    from preo_tui.ui.segments.screen import SegmentsScreen

    tmp = tempfile.mkdtemp(prefix="preo-bench-")
    for name in ("CONFIG", "DATA", "CACHE"):
        os.environ[f"PREO_{name}_DIR"] = os.path.join(tmp, name.lower())
        os.makedirs(os.environ[f"PREO_{name}_DIR"], exist_ok=True)
    os.environ["PREO_KEYRING"] = "off"
    state = SandboxState(SandboxSettings(db=":memory:", scale="tiny", speed=1000.0))
    asgi = create_app(state=state)

    class Transport(httpx.AsyncBaseTransport):
        started = False

        def __init__(self) -> None:
            self.inner = httpx.ASGITransport(app=asgi)

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if not Transport.started:
                Transport.started = True
                await state.start()
            return await self.inner.handle_async_request(request)

    def factory(spec: object) -> PreoClient:
        return PreoClient(
            base_url=spec.base_url,  # type: ignore[attr-defined]
            token=spec.token,  # type: ignore[attr-defined]
            transport=Transport(),
        )

    settings = default_settings()
    profile = settings.profile("sandbox").with_server("http://sandbox.bench")
    app = PreoApp(
        profile,
        settings=settings,
        tokens=Tokens(access=state.static_tokens["admin"]),
        client_factory=factory,
        remember_profile=False,
    )
    frames: list[tuple[float, str | None]] = []
    display = app._display

    def timed_display(screen: object, renderable: object) -> None:
        if renderable is not None:
            editor = getattr(app.screen, "editor", None) if app.screen.is_attached else None
            frames.append((time.perf_counter(), getattr(editor, "_checked_text", None)))
        display(screen, renderable)  # type: ignore[arg-type]

    app._display = timed_display  # type: ignore[method-assign]
    longest = max(CONTRACT_EXAMPLES, key=len)
    samples: list[float] = []

    async def until(pilot: object, predicate: Callable[[], object], what: str) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                if predicate():
                    return
            except Exception:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out waiting for {what}")
            await pilot.pause(0.01)  # type: ignore[attr-defined]

    async def run() -> None:
        async with app.run_test(size=(160, 48)) as pilot:
            await until(pilot, lambda: app.ctx.edition is not None, "sign-in")
            app.jump("segments")
            await until(pilot, lambda: isinstance(app.screen, SegmentsScreen), "segments")
            await pilot.press("n")
            await until(pilot, lambda: isinstance(app.screen, SegmentEditorScreen), "editor")
            screen = app.screen
            assert isinstance(screen, SegmentEditorScreen)
            await until(pilot, lambda: screen.context_source == "edition", "the CEL context")
            editor = screen.editor
            editor.area.cursor_blink = False
            editor.focus_input()
            problems = editor.query_one("#cel-problems", Static)
            for _ in range(rounds):
                editor.text = ""
                await pilot.pause()
                for i, ch in enumerate(longest):
                    t0 = time.perf_counter()
                    await pilot.press(ch)
                    want = longest[: i + 1]
                    drawn = [t for t, checked in frames if t > t0 and checked == want]
                    if not drawn:
                        raise AssertionError(f"no frame drawn for {want!r}")
                    samples.append((drawn[0] - t0) * 1000)
                    first = editor.result.first
                    if first is not None and f"column {first.column}:" not in str(
                        problems.render()
                    ):
                        raise AssertionError(f"diagnostic not drawn after {want!r}")

    asyncio.run(run())
    return Figures(
        f"editor keystroke -> diagnostic drawn, whole app 160x48 ({len(longest)} chars x {rounds})",
        samples,
        16.0,
        percentile=50,
    )


def worst_inputs(rounds: int = 3) -> Figures:
    """The checker's slowest answers: the largest accepted condition, and huge inputs it
    refuses ("too_long") before parsing."""
    largest = " || ".join(['user.language == "da"'] * (MAX_CONDITION_LENGTH // 25))
    refused = ("x" * 10_000_000, "(" * (MAX_CONDITION_LENGTH + 1), "é" * 50_000)
    accepted: list[float] = []
    refusals: list[float] = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        check(largest, use_cache=False)
        accepted.append((time.perf_counter() - t0) * 1000)
        for text in refused:
            t0 = time.perf_counter()
            check(text, use_cache=False)
            refusals.append((time.perf_counter() - t0) * 1000)
    worst_refusal = max(refusals)
    print(
        f"  refusals of huge inputs: max {worst_refusal:.1f} ms"
        f"  {'OK' if worst_refusal <= 500 else 'OVER TARGET (500 ms)'}"
    )
    return Figures(
        f"check of the largest accepted condition ({len(largest):,} chars)", accepted, 1000.0, 100
    )


#: name -> benchmark; the editor-latency measurement registers itself here.
BENCHMARKS: dict[str, Callable[[], Figures]] = {
    "local-check": local_check,
    "editor-keystroke": editor_keystroke,
    "editor-keystroke-app": editor_keystroke_app,
    "evaluate": evaluate,
    "worst-inputs": worst_inputs,
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    for name in names:
        if name not in BENCHMARKS:
            print(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
            return 2
        print(BENCHMARKS[name]().line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
