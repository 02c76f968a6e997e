"""The seeding context handed to every resource module's ``seed(ctx)``.

Seed data is deterministic for a given ``--seed``: each module draws from its own
``ctx.rng("<name>")`` stream (so adding rows in one module never shifts another's), and
timestamps are relative to ``ctx.now`` (the clock at seed time, or ``seed_now``).
Use ``db.executemany`` inside the single seeding transaction; never commit yourself. Big
tables are generated and inserted in chunks (:func:`batched`), never held whole in lists, so
the ``large`` scale seeds in flat memory.

``ctx.shared`` carries handles between modules (all ids are also in the database):

- ``organizations``: ``[org_id_main, org_id_second]``
- ``accounts``: ``{"admin": usr_..., "manager": usr_..., "staff": usr_...}``
- ``editions``: ``{"past": edt_..., "current": edt_..., "upcoming": edt_..., "draft": edt_...,
  "second_org": edt_...}``
- ``events``: ``{"main": evt_..., "second_org": evt_...}``
- ``consents``: list of consent ids (``cns_newsletter`` among them)
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from . import clock
from .db import Database, new_id

ZERO = timedelta(0)

T = TypeVar("T")

#: Rows generated and inserted at a time by the bulk seeds.
CHUNK = 5000


def batched(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """Consecutive lists of up to ``size`` items (the generator is consumed lazily)."""
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def below(rng: random.Random) -> Callable[[int], int]:
    """``rng.randrange(n)`` for ``n >= 1`` as one call: the same draws, for the hot seed loops.

    This is CPython's ``Random._randbelow_with_getrandbits``, which ``randrange``, ``choice``
    and ``sample`` all use, so ``seq[draw(len(seq))]`` is ``rng.choice(seq)`` and
    ``a + draw(b - a)`` is ``rng.randrange(a, b)`` (tests/sandbox/test_seed.py checks it).
    """
    getrandbits = rng.getrandbits

    def draw(n: int) -> int:
        k = n.bit_length()
        r = getrandbits(k)
        while r >= n:
            r = getrandbits(k)
        return r

    return draw


def small_sample(draw: Callable[[int], int], population: Sequence[T], k: int) -> list[T]:
    """``rng.sample(population, k)`` for ``len(population) <= 21`` and ``k <= 5`` (CPython's
    pool method, which it uses for such sizes), drawing with ``draw`` from :func:`below`."""
    n = len(population)
    assert n <= 21 and 0 <= k <= min(5, n)
    pool = list(population)
    out = []
    for i in range(k):
        j = draw(n - i)
        out.append(pool[j])
        pool[j] = pool[n - i - 1]
    return out


@dataclass(frozen=True)
class ScaleSpec:
    """How much data a scale seeds."""

    name: str
    users: int  # customers of the main organization
    current_orders: int  # orders in the current edition
    other_orders: int  # orders spread over the past / upcoming editions and the second org
    requested_refunds: int  # refund requests still `requested` in the current edition
    files: int
    data_imports: int


SCALES: dict[str, ScaleSpec] = {
    "tiny": ScaleSpec(
        "tiny",
        users=240,
        current_orders=300,
        other_orders=120,
        requested_refunds=45,
        files=12,
        data_imports=8,
    ),
    "demo": ScaleSpec(
        "demo",
        users=5000,
        current_orders=9000,
        other_orders=3000,
        requested_refunds=60,
        files=30,
        data_imports=12,
    ),
    "large": ScaleSpec(
        "large",
        users=100_000,
        current_orders=100_000,
        other_orders=3000,
        requested_refunds=80,
        files=30,
        data_imports=12,
    ),
}


@dataclass
class SeedContext:
    db: Database
    seed: int
    scale: ScaleSpec
    now: datetime
    shared: dict[str, Any] = field(default_factory=dict)

    def rng(self, name: str) -> random.Random:
        """An independent deterministic random stream for one module."""
        return random.Random(f"{self.seed}:{name}")

    def new_id(self, prefix: str, rng: random.Random) -> str:
        return new_id(prefix, rng)

    def ts(self, delta: timedelta = timedelta(0)) -> str:
        """ISO timestamp ``now + delta`` (use negative deltas for the past)."""
        moment = self.now + delta
        if moment.microsecond == 0 and moment.utcoffset() == ZERO:
            return moment.isoformat()  # what clock.iso returns, without its conversions
        value = clock.iso(moment)
        assert value is not None
        return value
