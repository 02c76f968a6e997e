"""``preo_tui.ui.writes`` without a terminal: what a screen is told for each outcome of a write
(the value, the refusal itself, a conflict, "not applied", "unknown"), and no runner (so no
write) before signing in."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from preo_tui.actions import ActionResult, make
from preo_tui.api.errors import Conflict, NetworkError, ValidationFailed
from preo_tui.ui.writes import (
    ActionNotApplied,
    ActionUnknown,
    poster,
    run,
    runner_of,
    value_or_raise,
)

ACTION = make("refunds.approve", "approve refund rfr_1", id="rfr_1")


def test_value_or_raise_for_each_outcome() -> None:
    assert value_or_raise(ActionResult(ACTION, "applied", value={"id": "rfr_1"})) == {"id": "rfr_1"}
    refusal = ValidationFailed(fields={"reason": ["Required."]})
    for outcome in ("failed", "refused"):
        with pytest.raises(ValidationFailed) as raised:
            value_or_raise(ActionResult(ACTION, outcome, error=refusal))
        assert raised.value is refusal
    with pytest.raises(Conflict, match="approve refund rfr_1: not applied — decided elsewhere"):
        value_or_raise(ActionResult(ACTION, "elsewhere", message="decided elsewhere"))
    with pytest.raises(ActionNotApplied, match="the server did not apply it"):
        value_or_raise(ActionResult(ACTION, "not_applied"))
    with pytest.raises(ActionUnknown, match="checked again from :journal"):
        value_or_raise(ActionResult(ACTION, "unknown"))
    nameless = make("refunds.approve", "", id="rfr_1")
    with pytest.raises(ActionUnknown, match=r"^refunds\.approve: the answer was lost"):
        value_or_raise(ActionResult(nameless, "unknown"))


async def test_nothing_is_sent_before_signing_in() -> None:
    ctx: Any = SimpleNamespace(client=None, actions=None)
    assert runner_of(ctx) is None
    with pytest.raises(NetworkError, match="Not signed in: nothing was sent."):
        await run(ctx, ACTION)
    assert poster(None) is None
