"""Environment badges: production is an unmistakable red "PRODUCTION", the sandbox its own
colour. Colours come from the theme's semantic variables plus a reverse style, so the badge
stays visible on 16-colour terminals (ansi themes) too."""

from __future__ import annotations

from textual.widgets import Static

from preo_tui.ui.context import EnvironmentKind

_LABELS = {
    EnvironmentKind.PRODUCTION: "PRODUCTION",
    EnvironmentKind.STAGING: "STAGING",
    EnvironmentKind.DEVELOPMENT: "DEVELOPMENT",
    EnvironmentKind.SANDBOX: "SANDBOX",
    EnvironmentKind.CUSTOM: "CUSTOM",
}


class EnvironmentBadge(Static):
    """A short coloured label naming the environment."""

    DEFAULT_CSS = """
    EnvironmentBadge {
        width: auto;
        height: 1;
        padding: 0 1;
        text-style: bold;
    }
    EnvironmentBadge.-production { background: #d00000; color: #ffffff; text-style: bold; }
    EnvironmentBadge.-staging { background: $warning; color: $text; }
    EnvironmentBadge.-development { background: $primary; color: $text; }
    EnvironmentBadge.-sandbox { background: $success; color: $text; }
    EnvironmentBadge.-custom { background: $secondary; color: $text; }
    """

    def __init__(self, kind: EnvironmentKind, *, id: str | None = None) -> None:
        super().__init__(_LABELS[kind], id=id, classes=f"-{kind.value}", markup=False)
        self.kind = kind
        self._fix_width()

    def _fix_width(self) -> None:
        # A fixed width (the label and its padding): the badge is never squeezed or drawn over
        # by the header's other parts, whatever the terminal's width.
        width = len(_LABELS[self.kind]) + 2
        self.styles.width = width
        self.styles.min_width = width

    def set_kind(self, kind: EnvironmentKind) -> None:
        self.remove_class(f"-{self.kind.value}")
        self.kind = kind
        self.add_class(f"-{kind.value}")
        self._fix_width()
        self.update(_LABELS[kind])


class ProductionBanner(Static):
    """A full-width red banner used inside dialogs on production."""

    DEFAULT_CSS = """
    ProductionBanner {
        width: 100%;
        height: 1;
        content-align: center middle;
        background: #d00000;
        color: #ffffff;
        text-style: bold;
        margin-bottom: 1;
    }
    """

    def __init__(self) -> None:
        super().__init__("⚠ PRODUCTION ⚠", markup=False)
