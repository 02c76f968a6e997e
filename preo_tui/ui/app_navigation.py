"""``NavigationMixin`` of :class:`~preo_tui.ui.app.PreoApp`: going places.

``:`` jump, back, help, the edition/organization/profile pickers and the palette's commands.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand
from textual.screen import Screen

from preo_tui.ui.app_session import SessionMixin
from preo_tui.ui.context import ContextChanged, EditionRef, OrgRef
from preo_tui.ui.registry import KNOWN_JUMP_NAMES, REGISTRY, resolve_loading


class NavigationMixin(SessionMixin):
    """Jump, edition/organization/profile choice and palette commands."""

    last_copied: str | None

    if TYPE_CHECKING:

        def after_discarding(self, go: Any, *, above: int = 0, title: str = "") -> None: ...

        def report_error(self, error: BaseException, *, node: Any = None) -> None: ...

        def _show_text(self, text: str) -> None: ...

    # -- navigation ---------------------------------------------------------------------------

    def jump(self, target: str) -> bool:
        """Go to a screen by jump name (``refunds``) or run ``edition <name>`` / ``profile
        <name>``. Unknown or not-yet-available names give a message, never a crash."""
        text = target.strip().lstrip(":").strip()
        if not text:
            return False
        word, _, rest = text.partition(" ")
        word = word.lower()
        if word in ("edition", "ed"):
            return self.choose_edition(rest.strip())
        if word in ("profile", "ctx"):
            return self.choose_profile(rest.strip())
        if word in ("org", "organization"):
            return self.choose_organization(rest.strip())
        if word in ("quit", "q"):
            self.after_discarding(self.exit, title="Quit preo-tui and discard your changes?")
            return True
        entry = REGISTRY.resolve(word)
        if entry is None and not self.features_loaded.is_set():
            entry = resolve_loading(word)  # asked before the background import finished
        if entry is None:
            if word in KNOWN_JUMP_NAMES:
                self.notify(
                    f":{word} is not available in this version yet.", severity="warning", timeout=5
                )
            else:
                names = ", ".join(REGISTRY.names())
                self.notify(
                    f"No screen called {word!r}. Available: {names}", severity="warning", timeout=6
                )
            return False
        if entry.needs_edition and self.ctx.edition is None:
            self.notify("Choose an edition first (press e).", severity="warning", timeout=5)
            return False
        for index, screen in enumerate(self.screen_stack):
            if type(screen) is entry.screen_class:

                def back_to(index: int = index) -> None:
                    while len(self.screen_stack) > index + 1:
                        self.pop_screen()

                self.after_discarding(back_to, above=index + 1)
                return True
        self.push_screen(entry.build())
        return True

    def go_back(self) -> None:
        """Back to the previous screen; the home screen is the bottom of the stack."""
        if len(self.screen_stack) > 2:
            self.pop_screen()

    def action_jump(self) -> None:
        from preo_tui.ui.shell.jump import JumpPrompt

        def chosen(value: str | None) -> None:
            if value:
                self.jump(value)

        self.push_screen(JumpPrompt(), callback=chosen)

    def action_help(self) -> None:
        from preo_tui.ui.shell.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen(self.screen))

    def action_pick_edition(self) -> None:
        self.choose_edition("")

    def choose_edition(self, name: str) -> bool:
        editions = self._editions
        if not editions:
            self.notify("No editions loaded yet.", severity="warning", timeout=4)
            return False
        if name:
            needle = name.lower()
            exact = [e for e in editions if needle in (e.name.lower(), e.id.lower())]
            found = exact or [e for e in editions if needle in e.name.lower()]
            if len(found) == 1:
                self.set_edition(found[0])
                self.notify(f"Edition: {found[0].name}", timeout=3)
                return True
            if not found:
                self.notify(f"No edition matches {name!r}.", severity="warning", timeout=5)
                return False
            editions = found
        from preo_tui.ui.widgets.choice import Choice, ChoiceModal

        def chosen(value: EditionRef | None) -> None:
            if value is not None:
                self.set_edition(value)

        self.push_screen(
            ChoiceModal(
                "Edition",
                [Choice(e, e.name) for e in editions],
                current=self.ctx.edition,
            ),
            callback=chosen,
        )
        return True

    def choose_organization(self, name: str) -> bool:
        """Switch the current organization (its editions are loaded, one becomes current)."""
        orgs = self.ctx.organizations
        if not orgs:
            self.notify("Not signed in yet.", severity="warning", timeout=4)
            return False
        if name:
            needle = name.lower()
            found = [o for o in orgs if needle in (o.id.lower(), o.name.lower())] or [
                o for o in orgs if needle in o.name.lower()
            ]
            if len(found) != 1:
                self.notify(
                    f"No single organization matches {name!r}.", severity="warning", timeout=5
                )
                return False
            self.run_worker(self.set_organization(found[0]), group="session", exit_on_error=False)
            return True
        from preo_tui.ui.widgets.choice import Choice, ChoiceModal

        def chosen(value: OrgRef | None) -> None:
            if value is not None:
                self.run_worker(self.set_organization(value), group="session", exit_on_error=False)

        choices = [Choice(o, f"{o.name}  ({o.role})") for o in orgs]
        self.push_screen(
            ChoiceModal("Organization", choices, current=self.ctx.organization), callback=chosen
        )
        return True

    async def set_organization(self, organization: OrgRef) -> None:
        if organization == self.ctx.organization:
            return
        self.ctx.organization = organization
        self.ctx.edition = None
        try:
            await self._load_editions()
        except Exception as exc:
            self.report_error(exc)
        self._remember_context()
        self.broadcast(lambda: ContextChanged("organization"))

    def choose_profile(self, name: str) -> bool:
        profiles = self.settings.profiles
        if name:
            profile = profiles.get(name)
            if profile is None:
                self.notify(
                    f"No profile {name!r}. Profiles: {', '.join(sorted(profiles))}",
                    severity="warning",
                    timeout=6,
                )
                return False
            self.after_discarding(
                lambda: self.run_worker(
                    self.switch_profile(profile), group="session", exit_on_error=False
                ),
                above=2,
            )
            return True
        from preo_tui.ui.widgets.choice import Choice, ChoiceModal

        def chosen(value: str | None) -> None:
            if value is not None:
                self.choose_profile(value)

        choices = [
            Choice(p.name, f"{p.name}  {p.server}{'  (read-only)' if p.read_only else ''}")
            for p in profiles.values()
        ]
        self.push_screen(
            ChoiceModal("Profile", choices, current=self.profile.name), callback=chosen
        )
        return True

    # -- palette ------------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Journal", "Every write made from this machine", lambda: self.jump("journal")
        )
        yield SystemCommand(
            "Switch profile", "Sign in to another profile", lambda: self.choose_profile("")
        )
        yield SystemCommand(
            "Switch edition", "Choose the current edition", lambda: self.choose_edition("")
        )
        yield SystemCommand(
            "Switch organization",
            "Choose the current organization",
            lambda: self.choose_organization(""),
        )
        yield SystemCommand("Sign out", "Forget this profile's tokens", self._sign_out_command)
        if self.last_copied is not None:
            text = self.last_copied
            yield SystemCommand(
                "Show copied text",
                "Show the text last copied",
                lambda: self._show_text(text),
            )

    def _sign_out_command(self) -> None:
        self.run_worker(self.sign_out(), group="session", exit_on_error=False)
