"""The campaign compose form's refusals not covered by tests/ui/test_campaigns.py: a name over
200 characters and an empty SMS text (refused locally), a save while the server is unreachable
(said under the form, nothing created), and escape with unsaved work asking first, then
discarding."""

from __future__ import annotations

from textual.widgets import Input, Select, Static

from preo_tui.ui.campaigns.compose import CampaignComposeScreen
from preo_tui.ui.campaigns.screen import CampaignsScreen
from preo_tui.ui.widgets.confirm import ConfirmModal
from tests.fixtures.app import AppFactory, SandboxBackend, wait_for_screen, wait_until
from tests.ui.test_campaigns import BIG, choose, open_compose


async def test_compose_refusals_offline_and_discard(
    make_app: AppFactory, sandbox_backend: SandboxBackend
) -> None:
    campaigns_before = sandbox_backend.state.db.scalar("SELECT count(*) FROM campaigns")
    app = make_app()
    async with app.run_test(size=BIG) as pilot:
        compose = await open_compose(pilot)
        message = compose.query_one("#f-message", Static)
        compose.query_one("#f-name", Input).value = "n" * 201
        compose.query_one("#f-channel", Select).value = "sms"
        await pilot.pause()
        await pilot.press("ctrl+s")
        assert compose.errors == {
            "name": "At most 200 characters.",
            "segment_id": "Choose the segment to send to (ctrl+g).",
            "sms_body": "Write the SMS text.",
        }
        assert str(message.render()) == "Not saved: 3 field(s) to fix."

        compose.query_one("#f-channel", Select).value = "email"
        compose.query_one("#f-name", Input).value = "Autumn news"
        await pilot.press("ctrl+g")
        await choose(pilot, "Danish speakers")
        await wait_for_screen(pilot, CampaignComposeScreen)
        await pilot.press("ctrl+o")
        await choose(pilot, "Last tickets")
        await wait_for_screen(pilot, CampaignComposeScreen)

        sandbox_backend.go_offline()
        await pilot.press("ctrl+s")
        await wait_until(
            pilot,
            lambda: str(message.render()).startswith("Not saved: "),
            what="the offline refusal",
        )
        assert compose.errors == {} and not compose.saving and compose.saved is None
        sandbox_backend.go_online()

        await pilot.press("escape")
        await wait_for_screen(pilot, ConfirmModal)
        await pilot.press("enter")  # Discard
        await wait_for_screen(pilot, CampaignsScreen)
    after = sandbox_backend.state.db.scalar("SELECT count(*) FROM campaigns")
    assert after == campaigns_before
