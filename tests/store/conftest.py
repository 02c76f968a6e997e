"""Shared helpers for the store tests: isolated directories, a test model, condition waits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import BaseModel

from preo_tui.api._base import Page


class Item(BaseModel):
    id: str
    name: str
    status: str = "requested"


ItemPage = Page[Item]


def page(*items: Item, count: int | None = None) -> Page[Item]:
    return ItemPage(count=len(items) if count is None else count, results=list(items))


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own config, data and cache directories and never a real keyring."""
    for name in ("CONFIG", "DATA", "CACHE"):
        monkeypatch.setenv(f"PREO_{name}_DIR", str(tmp_path / name.lower()))
    monkeypatch.setenv("PREO_KEYRING", "off")
    for name in ("PREO_PROFILE", "PREO_SERVER", "PREO_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


async def wait_until(condition: Callable[[], bool], limit: float = 5.0) -> None:
    """Yield to the event loop until ``condition()`` holds (no sleeping), or fail."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0)


class GatedLoader:
    """A loader that blocks until released, counting its calls."""

    def __init__(self, *values: object) -> None:
        self.values = list(values)
        self.calls = 0
        self.gate = asyncio.Event()
        self.error: BaseException | None = None

    async def __call__(self) -> object:
        self.calls += 1
        index = min(self.calls - 1, len(self.values) - 1)
        await self.gate.wait()
        if self.error is not None:
            raise self.error
        return self.values[index]
