"""Rate limits of the sign-in endpoints (login and PIN), per identity, in memory.

A fixed sliding window of events per key (an e-mail address, a phone number, a client
address); over the limit, the endpoint answers 429 with ``Retry-After`` (the seconds until the
oldest counted event leaves the window). Only *failed* password logins and PIN checks count,
and PIN requests per phone, so a test suite signing in hundreds of times is never throttled,
while guessing one account's password or PIN is.

========================  ==========================  ========
What                      Key                         Limit
========================  ==========================  ========
failed password login     e-mail (case-insensitive)   10 / 5 min
failed password login     client address              100 / 5 min
PIN request               phone                       5 / 10 min
failed PIN check          client address              50 / 10 min
========================  ==========================  ========

(The per-PIN tries, 5 per PIN and kept across a new PIN request, are in ``resources/auth.py``.)
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from . import clock
from .errors import too_many


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    window: timedelta


LOGIN_FAILURES_PER_EMAIL = Limit("login-email", 10, timedelta(minutes=5))
LOGIN_FAILURES_PER_CLIENT = Limit("login-client", 100, timedelta(minutes=5))
PIN_REQUESTS_PER_PHONE = Limit("pin-request", 5, timedelta(minutes=10))
PIN_FAILURES_PER_CLIENT = Limit("pin-client", 50, timedelta(minutes=10))


@dataclass
class RateLimiter:
    events: dict[tuple[str, str], deque[datetime]] = field(default_factory=dict)

    def _window(self, limit: Limit, key: str) -> deque[datetime]:
        q = self.events.setdefault((limit.name, key), deque())
        cutoff = clock.now() - limit.window
        while q and q[0] <= cutoff:
            q.popleft()
        return q

    def check(self, limit: Limit, key: str, what: str) -> None:
        """429 (``Retry-After``) when ``key`` already used up ``limit``."""
        q = self._window(limit, key)
        if len(q) >= limit.count:
            wait = (q[0] + limit.window - clock.now()).total_seconds()
            raise too_many(f"Too many {what}; try again later.", max(1, math.ceil(wait)))

    def hit(self, limit: Limit, key: str) -> None:
        self._window(limit, key).append(clock.now())

    def reset(self) -> None:
        self.events.clear()
