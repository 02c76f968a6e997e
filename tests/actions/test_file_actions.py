"""The three writes that carry a file's body (upload a file, create a data import from a file,
import external orders) as durable actions, against the in-process sandbox and its fault
injection: the journal keeps where the file is and its SHA-256 (never the body); a lost answer
after the commit resolves as applied; lost before the commit, a new runner on the same
journal (a restart) resends it with the original key — one object on the server, not two; a
file changed or gone since is not resent."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from preo_tui.actions import Action, ActionRunner, FileChanged, file_action
from preo_tui.actions.files import check_body, prepare_args
from preo_tui.api import PreoClient
from preo_tui.store import Journal
from tests.api.conftest import preo_client, set_faults
from tests.fixtures.sandbox import Sandbox

DROP_AFTER_COMMIT = {"error_rate": 1.0, "kinds": ["drop"], "after_commit_ratio": 1.0}
FAIL_BEFORE_HANDLER = {"error_rate": 1.0, "kinds": ["503"], "after_commit_ratio": 0.0}

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
#: Semicolons and Latin-1: the import is sent re-encoded (UTF-8, commas), on a resend too.
CSV = "Email;Product;Name\na@example.com;Weekend pass;Åse\nb@example.com;Day pass;Bo\n".encode(
    "latin-1"
)
ORDERS = json.dumps(
    [
        {
            "order_number": f"EXT-{n}",
            "email": f"x{n}@example.com",
            "purchases": [{"product_name": "Weekend pass", "quantity": 1}],
        }
        for n in range(3)
    ]
).encode()


@dataclass(frozen=True)
class Case:
    """One file-body operation: its file, how to make its action, how many it made."""

    name: str
    file_name: str
    content: bytes
    build: Callable[[Sandbox, Path, bytes], Action]
    count: Callable[[Sandbox], int]


def _upload(box: Sandbox, path: Path, data: bytes) -> Action:
    return file_action(
        "files.upload",
        f"upload file {path.name}",
        data,
        path=path,
        organization_id=box.organizations[0],
        file_name=path.name,
        tags=["durable"],
    )


def _import(box: Sandbox, path: Path, data: bytes) -> Action:
    return file_action(
        "data_imports.create",
        f"create data import {path.name}",
        data,
        path=path,
        edition_id=box.editions["current"],
        data_file_name="durable-import.csv",
        name="Durable import",
        csv={"encoding": "latin-1", "delimiter": ";"},
    )


def _external(box: Sandbox, path: Path, data: bytes) -> Action:
    return file_action(
        "data_imports.external_orders",
        "import 3 external orders",
        data,
        path=path,
        edition_id=box.editions["current"],
        service="durable-shop",
        order_count=3,
    )


def _count(sql: str, *params: str) -> Callable[[Sandbox], int]:
    return lambda box: len(box.db.query(sql, params))


CASES = [
    Case(
        "upload",
        "poster.png",
        PNG,
        _upload,
        _count("SELECT id FROM files WHERE file_name = ?", "poster.png"),
    ),
    Case(
        "import",
        "orders.csv",
        CSV,
        _import,
        _count("SELECT id FROM data_imports WHERE data_file_name = ?", "durable-import.csv"),
    ),
    Case(
        "external",
        "orders.json",
        ORDERS,
        _external,
        _count("SELECT id FROM data_imports WHERE service = ?", "durable-shop"),
    ),
]
IDS = [c.name for c in CASES]


@pytest.fixture
async def preo(sandbox: Sandbox) -> AsyncIterator[PreoClient]:
    async with preo_client(sandbox) as client:
        yield client


def journal_at(tmp_path: Path, me: str) -> Journal:
    journal = Journal(tmp_path / "journal.jsonl", profile="sandbox", server="http://sandbox.test")
    journal.user = me
    return journal


def runner_for(box: Sandbox, client: PreoClient, journal: Journal, *, heal: bool) -> ActionRunner:
    async def pause(_seconds: float) -> None:
        if heal:
            await set_faults(box, error_rate=0.0)

    return ActionRunner(client, journal=journal, me=journal.user, sleep=pause)


async def me_of(client: PreoClient) -> str:
    return str((await client.auth.me()).id)


def keys_sent(box: Sandbox, key: str) -> int:
    return len(box.db.query("SELECT key FROM idempotency WHERE key = ?", (key,)))


def written(tmp_path: Path, case: Case) -> tuple[Path, bytes]:
    path = tmp_path / "files" / case.file_name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(case.content)
    return path, case.content


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_lost_answer_after_commit_is_applied_once_and_the_body_is_not_journalled(
    case: Case, sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    journal = journal_at(tmp_path, await me_of(preo))
    runner = runner_for(sandbox, preo, journal, heal=True)
    path, data = written(tmp_path, case)
    before = case.count(sandbox)
    action = case.build(sandbox, path, data)
    await set_faults(sandbox, **DROP_AFTER_COMMIT)
    result = await runner.run(action)
    assert result.outcome == "applied", result.message
    assert case.count(sandbox) == before + 1
    [entry] = journal.read()
    assert entry.outcome == "ok" and "re-reading" in (entry.error or "")
    assert entry.args is not None and entry.idempotency_key == action.key
    assert entry.args["file"] == {
        "path": str(path.resolve()),
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    # The body is not in the journal: no base64, no order of the file, no cell of the CSV.
    line = journal.path.read_text()
    assert "base64" not in line and "EXT-0" not in line and "a@example.com" not in line
    assert set(entry.args) - {"file"} <= {
        "organization_id", "file_name", "tags", "edition_id", "data_file_name", "name", "csv",
        "service", "order_count",
    }  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_lost_before_commit_is_resent_after_a_restart_with_the_same_key(
    case: Case, sandbox: Sandbox, tmp_path: Path
) -> None:
    path, data = written(tmp_path, case)
    before = case.count(sandbox)
    async with preo_client(sandbox) as first:
        journal = journal_at(tmp_path, await me_of(first))
        runner = runner_for(sandbox, first, journal, heal=False)
        runner.CHECK_ATTEMPTS = 1
        action = case.build(sandbox, path, data)
        await set_faults(sandbox, **FAIL_BEFORE_HANDLER)
        lost = await runner.run(action)
        assert lost.outcome == "unknown"  # the app dies here
    await set_faults(sandbox, error_rate=0.0)
    assert case.count(sandbox) == before

    async with preo_client(sandbox) as second:
        journal = journal_at(tmp_path, journal.user or "")
        runner = ActionRunner(second, journal=journal, me=journal.user)
        [resolved] = await runner.resume()
        assert resolved.outcome == "not_applied"
        [entry] = journal.read()
        recorded = runner.action_of(entry)
        assert entry.outcome == "failed" and recorded is not None
        assert recorded.body is None  # read back from the journal: no body, the file is read
        result = await runner.retry(entry)
        assert result.outcome == "applied", result.message
        assert case.count(sandbox) == before + 1
        assert keys_sent(sandbox, action.key) == 1
        [entry] = journal.read()
        assert (entry.outcome, entry.attempts, entry.idempotency_key) == ("ok", 2, action.key)
        # A second resend with the same key is answered with the first answer: still one.
        again = await runner.retry(entry)
        assert again.outcome == "applied" and case.count(sandbox) == before + 1


@pytest.mark.parametrize("change", ["modified", "deleted"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_a_file_changed_since_is_not_resent(
    case: Case, change: str, sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    journal = journal_at(tmp_path, await me_of(preo))
    runner = runner_for(sandbox, preo, journal, heal=False)
    runner.CHECK_ATTEMPTS = 1
    path, data = written(tmp_path, case)
    before = case.count(sandbox)
    action = case.build(sandbox, path, data)
    await set_faults(sandbox, **FAIL_BEFORE_HANDLER)
    assert (await runner.run(action)).outcome == "unknown"
    await set_faults(sandbox, error_rate=0.0)
    if change == "modified":
        path.write_bytes(data.replace(b"a", b"e", 1))  # same size, other content
    else:
        path.unlink()

    restarted = ActionRunner(preo, journal=journal_at(tmp_path, journal.user or ""))
    [entry] = restarted.unresolved()
    result = await restarted.retry(entry)
    assert result.outcome == "refused"
    assert isinstance(result.error, FileChanged)
    expected = "the file changed" if change == "modified" else "the file is gone"
    assert result.message.startswith("not resent: " + expected)
    assert case.count(sandbox) == before
    assert keys_sent(sandbox, action.key) == 0
    [entry] = journal.read()
    assert entry.outcome == "failed" and (entry.error or "").startswith("not resent: ")
    assert entry.attempts == 1  # nothing was sent again


async def test_the_body_in_memory_is_checked_too(sandbox: Sandbox, tmp_path: Path) -> None:
    path, data = written(tmp_path, CASES[0])
    action = _upload(sandbox, path, data)
    check_body(data, action.args["file"])
    with pytest.raises(FileChanged, match="the file changed"):
        await prepare_args(None, action.again(body=data + b"!"))
    args = await prepare_args(None, action)
    assert args["source"] == data and args["as_base64"] is True and "file" not in args


async def test_an_import_is_re_encoded_on_a_resend(sandbox: Sandbox, tmp_path: Path) -> None:
    path, data = written(tmp_path, CASES[1])
    fresh = _import(sandbox, path, data)
    from_journal = fresh.again(body=None)
    sent = await prepare_args(None, from_journal)
    assert sent["data_file"].startswith(b"Email,Product,Name\n")
    assert "Åse".encode() in sent["data_file"] and "csv" not in sent
    assert sent == await prepare_args(None, fresh)


@pytest.mark.parametrize("gone", [False, True])
async def test_an_import_of_an_uploaded_file_is_downloaded_again_for_a_resend(
    gone: bool, sandbox: Sandbox, preo: PreoClient, tmp_path: Path
) -> None:
    """The wizard's ``ctrl+o``: the body is a file of the organization (``file_id``); a resend
    after a restart downloads it again and checks it — or says it is gone."""
    org, edition = sandbox.organizations[0], sandbox.editions["current"]
    csv = b"Email,Product\nc@example.com,Day pass\n"
    uploaded = await preo.files.upload(csv, organization_id=org, file_name="server-side.csv")
    data = await preo.files.download(uploaded)
    count = _count("SELECT id FROM data_imports WHERE data_file_name = ?", "server-side.csv")
    before = count(sandbox)
    journal = journal_at(tmp_path, await me_of(preo))
    runner = runner_for(sandbox, preo, journal, heal=False)
    runner.CHECK_ATTEMPTS = 1
    action = file_action(
        "data_imports.create",
        "create data import from server-side.csv",
        data,
        file_id=uploaded.api_id,
        edition_id=edition,
        data_file_name="server-side.csv",
        name="From the server",
        csv={"encoding": "utf-8", "delimiter": ","},
    )
    assert action.args["file"] == {
        "file_id": uploaded.api_id,
        "size": len(csv),
        "sha256": hashlib.sha256(csv).hexdigest(),
    }
    await set_faults(sandbox, **FAIL_BEFORE_HANDLER)
    assert (await runner.run(action)).outcome == "unknown"
    await set_faults(sandbox, error_rate=0.0)
    if gone:
        await preo.files.delete(uploaded.api_id, force=True)

    restarted = ActionRunner(preo, journal=journal_at(tmp_path, journal.user or ""))
    [entry] = restarted.unresolved()
    result = await restarted.retry(entry)
    if gone:
        assert result.outcome == "refused"
        assert result.message == f"not resent: the uploaded file {uploaded.api_id} is gone"
        assert count(sandbox) == before and keys_sent(sandbox, action.key) == 0
    else:
        assert result.outcome == "applied", result.message
        assert count(sandbox) == before + 1 and keys_sent(sandbox, action.key) == 1
