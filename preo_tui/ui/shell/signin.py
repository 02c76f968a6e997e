"""Sign-in: paste a token, email + password, or phone + PIN (request, then verify).

Errors (wrong password, wrong PIN, unreachable server) are shown inline under the form. When a
session expires and cannot be renewed the app pushes this screen over the stack (``reauth``);
signing in again pops it and the operator is back where they were. Secrets are typed into
password inputs, never echoed, and never kept by this screen after use.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static, TabbedContent, TabPane

from preo_tui.credentials import Tokens
from preo_tui.ui.errors import describe_error
from preo_tui.ui.widgets.badge import EnvironmentBadge


class SignInScreen(Screen[None]):
    SCREEN_TITLE = "Sign in"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "mode('token')", "Token", id="signin.token"),
        Binding("f3", "mode('password')", "Password", id="signin.password"),
        Binding("f4", "mode('pin')", "Phone + PIN", id="signin.pin"),
        Binding("f5", "profile", "Profile", id="signin.profile"),
        Binding("ctrl+q", "app.quit", "Quit", id="signin.quit"),
        Binding("escape", "back", "Back", id="signin.back"),
    ]

    #: The API operations this screen performs and the key (or moment) performing each
    #: (the operation map, ``preo_tui.ui.operations``).
    PERFORMS: ClassVar[dict[str, str]] = {
        "auth.me": "(sign-in)",
        "auth.login": "f3",
        "auth.request_pin": "f4",
        "auth.verify_pin": "f4",
        "auth.refresh": "(automatic)",
    }

    DEFAULT_CSS = """
    SignInScreen { align: center middle; }
    SignInScreen #signin-box {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $panel; padding: 0 1;
    }
    SignInScreen #signin-head { height: 1; margin-bottom: 1; }
    SignInScreen #signin-server { width: 1fr; padding: 0 1; }
    SignInScreen #signin-message { color: $text-muted; height: auto; }
    SignInScreen #signin-error { color: $error; height: auto; text-style: bold; }
    SignInScreen TabbedContent { height: auto; }
    SignInScreen TabPane { height: auto; padding: 0; }
    SignInScreen Input { margin: 0; }
    SignInScreen .signin-buttons { height: auto; align-horizontal: right; }
    SignInScreen #pin-step2 { display: none; height: auto; }
    SignInScreen #pin-step2.-visible { display: block; }
    """

    def __init__(self, *, message: str = "", reauth: bool = False) -> None:
        super().__init__()
        self.message = message
        self.reauth = reauth
        self._busy = False
        self._pin_client: Any = None

    def compose(self) -> ComposeResult:
        app: Any = self.app
        ctx = app.ctx
        with VerticalScroll(id="signin-box"):
            with Horizontal(id="signin-head"):
                yield EnvironmentBadge(ctx.environment, id="signin-badge")
                yield Static(
                    f"{ctx.profile_name} · {ctx.base_url}", id="signin-server", markup=False
                )
            yield Static(self.message, id="signin-message", markup=False)
            with TabbedContent(id="signin-tabs", initial="tab-password"):
                with TabPane("Email + password [F3]", id="tab-password"):
                    yield Input(placeholder="email", id="email", type="text")
                    yield Input(placeholder="password", id="password", password=True)
                    with Horizontal(classes="signin-buttons"):
                        yield Button("Sign in", id="password-go", variant="primary")
                with TabPane("Phone + PIN [F4]", id="tab-pin"):
                    yield Input(placeholder="phone, e.g. +4512345678", id="phone")
                    with Horizontal(classes="signin-buttons"):
                        yield Button("Send PIN", id="pin-request", variant="primary")
                    with Vertical(id="pin-step2"):
                        yield Label("Enter the 6-digit PIN sent to your phone:")
                        yield Input(placeholder="PIN", id="pin", password=True, max_length=6)
                        with Horizontal(classes="signin-buttons"):
                            yield Button("Verify", id="pin-verify", variant="primary")
                with TabPane("Token [F2]", id="tab-token"):
                    yield Input(placeholder="paste an access token", id="token", password=True)
                    with Horizontal(classes="signin-buttons"):
                        yield Button("Sign in", id="token-go", variant="primary")
            yield Static("", id="signin-error", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#email", Input).focus()

    # -- helpers ------------------------------------------------------------------------------

    def show_error(self, message: str) -> None:
        self.query_one("#signin-error", Static).update(message)

    def _set_busy(self, busy: bool, note: str = "") -> None:
        self._busy = busy
        for button in self.query(Button):
            button.disabled = busy
        if note:
            self.query_one("#signin-message", Static).update(note)

    def action_mode(self, mode: str) -> None:
        tabs = self.query_one("#signin-tabs", TabbedContent)
        tabs.active = f"tab-{mode}"
        first = {"token": "#token", "password": "#email", "pin": "#phone"}[mode]
        self.query_one(first, Input).focus()

    def action_back(self) -> None:
        """Escape steps back: from the PIN step to the phone number; otherwise to the
        profiles (e.g. back to the sandbox after ``:profile production``)."""
        step2 = self.query_one("#pin-step2")
        tabs = self.query_one("#signin-tabs", TabbedContent)
        if tabs.active == "tab-pin" and step2.has_class("-visible"):
            step2.remove_class("-visible")
            client, self._pin_client = self._pin_client, None
            if client is not None:
                app: Any = self.app
                self.run_worker(app._close_client(client), exit_on_error=False)
            self.query_one("#pin", Input).value = ""
            self.query_one("#phone", Input).focus()
            return
        self.action_profile()

    def action_profile(self) -> None:
        app: Any = self.app
        app.choose_profile("")

    def _fail(self, error: BaseException) -> None:
        report = describe_error(error)
        if report.kind == "AuthError":
            text = report.message or "Wrong credentials."
        elif report.kind == "ValidationFailed":
            text = report.message
            if "***" in text:  # a message the client redacted: say what we know
                text = (
                    "The PIN was not accepted."
                    if self._pin_client is not None
                    else "The input was refused."
                )
        elif report.kind == "RateLimited":
            text = f"Too many attempts: {report.message}"
        else:
            text = f"{report.title}: {report.message}"
        self.show_error(text)
        self._set_busy(False, " ")

    async def _finish(self, tokens: Tokens, client: Any) -> None:
        app: Any = self.app
        try:
            await app.sign_in(tokens, client=client)
        except Exception as exc:
            self._fail(exc)
            return
        self._set_busy(False)
        self.dismiss(None)

    # -- token --------------------------------------------------------------------------------

    @on(Button.Pressed, "#token-go")
    @on(Input.Submitted, "#token")
    def _token(self) -> None:
        from preo_tui.api.errors import InvalidToken, check_token

        try:
            token = check_token(self.query_one("#token", Input).value)
        except InvalidToken as exc:
            self.show_error(exc.message)
            return
        self.run_worker(
            self._token_sign_in(token), group="signin", exclusive=True, exit_on_error=False
        )

    async def _token_sign_in(self, token: str) -> None:
        app: Any = self.app
        self._set_busy(True, "Checking the token…")
        self.show_error("")
        tokens = Tokens(access=token)
        try:
            await app._client_module_ready()
            client = app._build_client(tokens)
        except Exception as exc:
            self._fail(exc)
            return
        self.query_one("#token", Input).value = ""
        await self._finish(tokens, client)

    # -- password -----------------------------------------------------------------------------

    @on(Input.Submitted, "#email")
    def _email_entered(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Button.Pressed, "#password-go")
    @on(Input.Submitted, "#password")
    def _password(self) -> None:
        email = self.query_one("#email", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not email or "@" not in email:
            self.show_error("Enter your email address.")
            self.query_one("#email", Input).focus()
            return
        if not password:
            self.show_error("Enter your password.")
            self.query_one("#password", Input).focus()
            return
        self.run_worker(
            self._password_sign_in(email, password),
            group="signin",
            exclusive=True,
            exit_on_error=False,
        )

    async def _password_sign_in(self, email: str, password: str) -> None:
        app: Any = self.app
        self._set_busy(True, "Signing in…")
        self.show_error("")
        try:
            await app._client_module_ready()
            client = app._build_client(None)
            pair = await client.auth.login(email, password)
        except Exception as exc:
            self.query_one("#password", Input).value = ""
            self._fail(exc)
            self.query_one("#password", Input).focus()
            return
        self.query_one("#password", Input).value = ""
        await self._finish(Tokens(access=pair.access, refresh=pair.refresh), client)

    # -- PIN ----------------------------------------------------------------------------------

    @on(Button.Pressed, "#pin-request")
    @on(Input.Submitted, "#phone")
    def _pin_request(self) -> None:
        phone = self.query_one("#phone", Input).value.strip().replace(" ", "")
        if not phone.startswith("+") or not phone[1:].isdigit() or len(phone) < 8:
            self.show_error("Enter the phone number with its country prefix, e.g. +4512345678.")
            return
        from preo_tui.ui.editions.fields import FieldError, check_phone_length

        try:
            check_phone_length(phone)
        except FieldError as exc:
            self.show_error(str(exc))
            return
        self.run_worker(
            self._request_pin(phone), group="signin", exclusive=True, exit_on_error=False
        )

    async def _request_pin(self, phone: str) -> None:
        app: Any = self.app
        self._set_busy(True, "Sending the PIN…")
        self.show_error("")
        try:
            await app._client_module_ready()
            client = app._build_client(None)
            await client.auth.request_pin(phone)
        except Exception as exc:
            self._fail(exc)
            return
        self._pin_client = client
        self._pin_phone = phone
        self._set_busy(False, f"A PIN was sent to {phone}. It is valid for 10 minutes.")
        self.query_one("#pin-step2").add_class("-visible")
        self.query_one("#pin", Input).focus()

    @on(Button.Pressed, "#pin-verify")
    @on(Input.Submitted, "#pin")
    def _pin_verify(self) -> None:
        pin = self.query_one("#pin", Input).value.strip()
        if self._pin_client is None:
            self.show_error("Request a PIN first.")
            return
        if len(pin) != 6 or not pin.isdigit():
            self.show_error("The PIN has 6 digits.")
            return
        self.run_worker(self._verify_pin(pin), group="signin", exclusive=True, exit_on_error=False)

    async def _verify_pin(self, pin: str) -> None:
        client = self._pin_client
        self._set_busy(True, "Checking the PIN…")
        self.show_error("")
        try:
            pair = await client.auth.verify_pin(self._pin_phone, pin)
        except Exception as exc:
            self.query_one("#pin", Input).value = ""
            self._fail(exc)
            self.query_one("#pin", Input).focus()
            return
        self.query_one("#pin", Input).value = ""
        await self._finish(Tokens(access=pair.access, refresh=pair.refresh), client)
