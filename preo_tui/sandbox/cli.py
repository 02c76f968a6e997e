"""``preo-sandbox``: run the local Preo API server.

    preo-sandbox [--host 127.0.0.1] [--port 8765] [--db PATH | --db :memory:] [--seed 42]
                 [--scale demo|large] [--speed 1.0] [--latency-ms 0] [--error-rate 0.0] [--reset]

The first start seeds the database (under the platformdirs user data dir unless ``--db``);
later starts keep its data; ``--reset`` reseeds. Prints the URL, the demo accounts and one
long-lived access token per role. SIGINT/SIGTERM stop it cleanly.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import time
from collections.abc import Sequence

from pydantic import ValidationError

from .settings import SandboxSettings, default_db_path

log = logging.getLogger("preo_tui.sandbox")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="preo-sandbox",
        description="A complete local Preo API with seeded data, real state machines, "
        "idempotency, webhooks and fault injection.",
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="TCP port (default 8765; 0 = any free)")
    p.add_argument(
        "--db",
        default=None,
        metavar="PATH",
        help=f"SQLite file, or :memory: (default {default_db_path()})",
    )
    p.add_argument("--seed", type=int, default=42, help="seed for the generated data (default 42)")
    p.add_argument(
        "--scale",
        choices=["demo", "large", "tiny"],
        default="demo",
        help="demo ≈ 5,000 users / 12,000 orders; large = 100,000 users and orders in one edition",
    )
    p.add_argument(
        "--speed", type=float, default=1.0, help="divides state-machine delays (default 1)"
    )
    p.add_argument("--latency-ms", type=int, default=0, help="delay added to every /v1 request")
    p.add_argument(
        "--error-rate",
        type=float,
        default=0.0,
        help="fraction of /v1 requests failed with 500/502/503 or a dropped connection",
    )
    p.add_argument("--reset", action="store_true", help="discard the database and reseed")
    return p


def listen_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket for uvicorn (``port`` 0 = any free port).

    ``proto=IPPROTO_TCP`` matters: asyncio sets TCP_NODELAY only on accepted sockets whose
    proto says TCP; without it every small keep-alive response waits ~40 ms (Nagle + delayed
    ACK).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class FaultLogFilter(logging.Filter):
    """Turn uvicorn's traceback for an injected dropped connection into one quiet line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and "sandbox fault injection" in str(exc):
            record.msg, record.args, record.exc_info = "injected fault: %s", (exc,), None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = SandboxSettings(
            host=args.host,
            port=args.port,
            db=args.db or default_db_path(),
            seed=args.seed,
            scale=args.scale,
            speed=args.speed,
            latency_ms=args.latency_ms,
            error_rate=args.error_rate,
            reset=args.reset,
        )
    except ValidationError as exc:
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            print(f"preo-sandbox: --{field.replace('_', '-')}: {err['msg']}", file=sys.stderr)
        raise SystemExit(2) from None

    import uvicorn

    from .app import create_app

    started = time.perf_counter()
    try:
        app = create_app(settings)
    except Exception as exc:  # a broken or locked database file, a bad path...
        print(f"preo-sandbox: cannot open {settings.db}: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    state = app.state.sandbox
    action = "seeded" if state.seeded_now else "reused"
    log.info("%s database %s in %.1f s", action, settings.db, time.perf_counter() - started)

    try:
        sock = listen_socket(settings.host, settings.port)
    except OSError as exc:
        print(
            f"preo-sandbox: cannot listen on {settings.host}:{settings.port}: {exc}",
            file=sys.stderr,
        )
        raise SystemExit(1) from None
    port = sock.getsockname()[1]
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host}:{port}"
    lines = [
        f"preo-sandbox listening on {url}  (API docs: {url}/docs)",
        f"database: {settings.db} ({action}; scale {state.db.get_meta('scale')},"
        f" seed {state.db.get_meta('seed')})",
        "demo accounts (password 'sandbox'): admin@sandbox.preo.dev, manager@sandbox.preo.dev,"
        " staff@sandbox.preo.dev",
        "long-lived access tokens (Authorization: Bearer ...):",
        *(f"  {role:<8} {token}" for role, token in state.static_tokens.items()),
        f"faults: latency {settings.latency_ms} ms, error rate {settings.error_rate};"
        f" change at run time: PUT {url}/_sandbox/faults",
    ]
    print("\n".join(lines), flush=True)
    logging.getLogger("uvicorn.error").addFilter(FaultLogFilter())
    config = uvicorn.Config(app, log_level="info", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    server.run(sockets=[sock])


if __name__ == "__main__":  # pragma: no cover
    main()
