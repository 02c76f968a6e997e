"""``preo-sandbox`` refusing to start, in-process: a database it cannot open, a port already
taken, and the quiet log line for an injected dropped connection."""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Any

import pytest

from preo_tui.sandbox.cli import FaultLogFilter, listen_socket, main


def test_a_database_that_cannot_be_opened_exits_1(tmp_path: Path, capsys: Any) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    db = blocker / "sandbox.sqlite3"
    with pytest.raises(SystemExit) as stopped:
        main(["--db", str(db), "--scale", "tiny"])
    assert stopped.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"preo-sandbox: cannot open {db}: ")


def test_a_port_already_taken_exits_1_after_seeding(tmp_path: Path, capsys: Any) -> None:
    taken = listen_socket("127.0.0.1", 0)
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with pytest.raises(SystemExit) as stopped:
            main(["--db", ":memory:", "--scale", "tiny", "--port", str(port)])
    finally:
        taken.close()
    assert stopped.value.code == 1
    assert f"preo-sandbox: cannot listen on 127.0.0.1:{port}:" in capsys.readouterr().err


def test_listen_socket_binds_ipv4_with_nodelay() -> None:
    sock = listen_socket("127.0.0.1", 0)
    try:
        assert sock.family == socket.AF_INET and sock.getsockname()[1] > 0
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        sock.close()
    with pytest.raises(OSError):
        listen_socket("203.0.113.1", 0)  # TEST-NET-3: not an address of this machine


def record_with(exc: BaseException | None) -> logging.LogRecord:
    info: Any = (type(exc), exc, None) if exc is not None else None
    return logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "boom %s", ("x",), info)


def test_fault_log_filter_quietens_only_injected_faults() -> None:
    quiet = record_with(RuntimeError("dropped by sandbox fault injection"))
    assert FaultLogFilter().filter(quiet)
    assert (quiet.levelno, quiet.levelname, quiet.exc_info) == (logging.INFO, "INFO", None)
    assert quiet.getMessage() == "injected fault: dropped by sandbox fault injection"

    real = record_with(ValueError("a real bug"))
    assert FaultLogFilter().filter(real)
    assert real.levelno == logging.ERROR and real.exc_info is not None
    plain = record_with(None)
    assert FaultLogFilter().filter(plain) and plain.getMessage() == "boom x"


def test_bad_values_name_the_flag(capsys: Any) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--db", ":memory:", "--error-rate", "3"])
    assert stopped.value.code == 2
    assert "preo-sandbox: --error-rate:" in capsys.readouterr().err
