"""A first user's session in Open WebUI's own frontend, step by step.

The flow signs up the first user, chats with the provider's model, renames and deletes
the chat, signs out and in again, then adds a workspace model and chats with it. It
records each step (passed, seconds), every request the page makes to the proxy (method,
path with ids normalised, status, and the `X-Served-By` group that answered), the
console errors and page errors, and the Socket.IO chat events that carry the streamed
reply.
"""

import contextlib
import json
import re
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import (
    ConsoleMessage,
    Error,
    Expect,
    Locator,
    Page,
    Request,
    Response,
    WebSocket,
)

# Each step's waits are bounded: no single wait, and no step, takes longer.
STEP_TIMEOUT = 30.0
VIEWPORT = {"width": 1280, "height": 800}
ADMIN_NAME = "Frontend Admin"
EMAIL = "frontend-admin@example.com"
PASSWORD = "frontend-admin-1"
# More words than the provider's 8 tokens: the reply is the first 8 of them.
PROMPT = "Which of the two backends answers this chat in the parallel run today"
NEW_TITLE = "Renamed through the proxy"
# A workspace model on the provider's model, added once the user has chatted: Open
# WebUI has built its table of models by then, and must still find this one.
WORKSPACE_MODEL = "handbook-helper"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A request cut off by a navigation: normal in every setup, and the only kind of
# failed request the flow tolerates.
ABORTED = "net::ERR_ABORTED"
SERVED_BY = "x-served-by"
PICKER = "[id^='model-selector-'][id$='-button']"
ASSISTANT_TEXT = ".chat-assistant .markdown-prose"
USER_MENU = "[aria-label='Open User Profile Menu']:visible"
NOT_RUN = "not run: an earlier step failed"
# Open WebUI 0.12.4's own race, seen with Open WebUI alone: its sidebar fetches the
# channel list on every Socket.IO `connect` without checking that channels are on
# (off by default, so the fetch answers 403), and when the socket connects after the
# sidebar mounted (after a reload, say) the browser logs that 403. Tolerated in both
# modes, exactly this request and status; it stays in the record.
UPSTREAM_RACES = {("GET", "/api/v1/channels/", 403)}
LOAD_FAILURE = re.compile(
    r"^Failed to load resource: the server responded with a status of (\d+)"
)
WELCOME_VIDEO_PLAYING = """() => {
    const video = document.querySelector("video[src='/assets/welcome.mp4']");
    return video !== null && !video.paused && video.currentTime > 0;
}"""
# The request the Workspace page's model editor sends, from the page.
CREATE_MODEL = """(model) => fetch("/api/v1/models/create", {
    method: "POST",
    headers: {
        "Content-Type": "application/json",
        Authorization: `Bearer ${localStorage.token}`,
    },
    body: JSON.stringify(model),
}).then((response) => response.status)"""
# How long the chat page may take to show a dialog it was not meant to show.
SETTLE_MS = 1500

# Assertions on the page wait as long as any other wait of a step (not 5 s), in this
# module only.
expect = Expect()
expect.set_options(timeout=STEP_TIMEOUT * 1000)


def normalised(path: str) -> str:
    """The path with every uuid (user, chat, message ids) replaced by `{id}`."""
    return UUID.sub("{id}", path)


@dataclass
class Exchange:
    """One request of the page to the proxy and how it ended."""

    step: str
    method: str
    path: str
    query: str
    # None when the request got no response (`failure` says why).
    status: int | None
    served_by: str
    failure: str = ""

    @property
    def key(self) -> tuple[str, str, int | None]:
        return (self.method, self.path, self.status)


@dataclass
class StepResult:
    name: str
    passed: bool
    seconds: float
    error: str = ""


@dataclass
class FlowResult:
    """Everything one run of the flow saw."""

    mode: str
    steps: list[StepResult] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    # Requests off 127.0.0.1: the browser cannot resolve their hosts.
    foreign: list[str] = field(default_factory=list)
    # Console errors, page errors, and requests that failed other than by a navigation.
    errors: list[str] = field(default_factory=list)
    # Console errors of UPSTREAM_RACES.
    tolerated: list[str] = field(default_factory=list)
    chat_id: str = ""
    expected_reply: str = ""
    # How many Socket.IO events carried a piece of the reply.
    reply_deltas: int = 0

    def failed_responses(self) -> set[tuple[str, str, int | None]]:
        """(method, normalised path, status) of every 4xx and 5xx answer, but for
        Open WebUI's own races."""
        return {
            exchange.key
            for exchange in self.exchanges
            if exchange.status is not None
            and exchange.status >= 400
            and exchange.key not in UPSTREAM_RACES
        }

    def served(self, method: str, path: str) -> set[str]:
        """Which groups answered `method path` (normalised) during the flow."""
        return {
            exchange.served_by
            for exchange in self.exchanges
            if (exchange.method, exchange.path) == (method, path)
            and exchange.status is not None
        }

    def as_json(self) -> dict:
        return asdict(self)


class StepTimeoutError(AssertionError):
    pass


class Flow:
    """The flow in one page, against the proxy at `base_url`.

    `screenshots`, when given, is where the key steps' screenshots go; `failures` is
    where a failed step leaves a screenshot of the page as it was.
    """

    def __init__(
        self,
        page: Page,
        mode: str,
        base_url: str,
        model: str,
        expected_reply: str,
        screenshots: Path | None,
        failures: Path,
    ) -> None:
        self.page = page
        self.base_url = base_url
        self.model = model
        self.origin = urlsplit(base_url).netloc
        self.screenshots = screenshots
        self.failures = failures
        self.result = FlowResult(mode=mode, expected_reply=expected_reply)
        self.step = "setup"
        self.chat_events: list[dict] = []
        page.set_default_timeout(STEP_TIMEOUT * 1000)
        page.on("request", self._on_request)
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_request_failed)
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        page.on("websocket", self._on_websocket)

    # -- what the page does -------------------------------------------------------

    def _ours(self, url: str) -> bool:
        return urlsplit(url).netloc == self.origin

    def _exchange(self, request: Request, status: int | None, served_by: str) -> None:
        url = urlsplit(request.url)
        self.result.exchanges.append(
            Exchange(
                step=self.step,
                method=request.method,
                path=normalised(url.path),
                query=normalised(url.query),
                status=status,
                served_by=served_by,
                failure=request.failure or "",
            )
        )

    def _on_request(self, request: Request) -> None:
        url = urlsplit(request.url)
        if url.scheme in ("http", "https") and url.hostname != "127.0.0.1":
            self.result.foreign.append(request.url)

    def _on_response(self, response: Response) -> None:
        if self._ours(response.url):
            served_by = response.headers.get(SERVED_BY, "")
            self._exchange(response.request, response.status, served_by)

    def _on_request_failed(self, request: Request) -> None:
        if not self._ours(request.url):
            return
        self._exchange(request, None, "")
        if request.failure != ABORTED:
            self.result.errors.append(
                f"[{self.step}] request failed: {request.method} {request.url}: "
                f"{request.failure}"
            )

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        error = f"[{self.step}] console error: {message.text} ({where})"
        failure = LOAD_FAILURE.match(message.text)
        url = urlsplit(where)
        # The console names no method: the races are all GETs.
        if (
            failure
            and self._ours(where)
            and ("GET", normalised(url.path), int(failure[1])) in UPSTREAM_RACES
        ):
            self.result.tolerated.append(error)
        else:
            self.result.errors.append(error)

    def _on_page_error(self, error: Error) -> None:
        self.result.errors.append(f"[{self.step}] page error: {error}")

    def _on_websocket(self, socket: WebSocket) -> None:
        url = urlsplit(socket.url)
        self.result.websockets.append(f"{url.path}?{url.query}")
        socket.on("framereceived", self._on_frame)

    def _on_frame(self, payload: str | bytes) -> None:
        """Keep the Socket.IO `events` messages: `42["events", {...}]`."""
        if isinstance(payload, bytes) or not payload.startswith("42"):
            return
        try:
            message = json.loads(payload[2:])
        except ValueError:
            return
        if isinstance(message, list) and message[:1] == ["events"]:
            self.chat_events.append(message[1])

    # -- helpers ------------------------------------------------------------------

    def wait_for(self, what: str, condition: Callable[[], bool]) -> None:
        """Let the page run until `condition` holds; Playwright delivers events to
        the handlers above only while it is waiting."""
        deadline = time.monotonic() + STEP_TIMEOUT
        while not condition():
            if time.monotonic() > deadline:
                raise StepTimeoutError(f"{what}: not within {STEP_TIMEOUT:.0f} s")
            self.page.wait_for_timeout(100)

    def events_of(self, kind: str) -> list[dict]:
        """The chat's Socket.IO events of type `kind`, as data."""
        return [
            event["data"].get("data")
            for event in self.chat_events
            if event.get("chat_id") == self.result.chat_id
            and isinstance(event.get("data"), dict)
            and event["data"].get("type") == kind
        ]

    def responded(self, method: str, path: str) -> Callable[[Response], bool]:
        def matches(response: Response) -> bool:
            return (
                response.request.method == method
                and urlsplit(response.url).path == path
            )

        return matches

    def screenshot(self, name: str) -> None:
        if self.screenshots is not None:
            self.screenshots.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=self.screenshots / f"{name}.png")

    def token(self) -> str:
        return self.page.evaluate("() => localStorage.token")

    def chat_item(self) -> Locator:
        return self.page.locator(f"[data-sidebar-chat-id='{self.result.chat_id}']")

    def settle_sidebar(self) -> None:
        """For the screenshot only: let the sidebar's next page of chats load."""
        loading = self.page.get_by_text("Loading...", exact=True)
        with contextlib.suppress(Error):
            loading.wait_for(state="hidden", timeout=5000)

    def open_chat_menu(self) -> None:
        item = self.chat_item()
        item.hover()
        item.get_by_role("button", name="Chat Menu").click()

    def sign_in(self) -> None:
        self.page.fill("#email", EMAIL)
        self.page.fill("#password", PASSWORD)
        with self.page.expect_response(
            self.responded("POST", "/api/v1/auths/signin")
        ) as signin:
            self.page.get_by_role("button", name="Sign in").click()
        assert signin.value.ok, f"sign-in answered {signin.value.status}"

    # -- the steps ----------------------------------------------------------------

    def first_visit(self) -> None:
        self.page.goto(self.base_url + "/", wait_until="domcontentloaded")
        # With no user yet, the frontend sends the visitor to the onboarding screen.
        expect(self.page.get_by_role("button", name="Get started")).to_be_visible()
        assert urlsplit(self.page.url).path == "/auth", self.page.url
        # Its background video playing: Open WebUI 0.12.4's OnBoarding.svelte answers
        # a play() cut short (by "Get started" before playback began) with a click
        # handler that calls play() on the removed video, a page error on every later
        # click, with or without the twin.
        self.page.wait_for_function(WELCOME_VIDEO_PLAYING)

    def get_started(self) -> None:
        self.page.get_by_role("button", name="Get started").click()
        expect(self.page.locator("#name")).to_be_visible()
        expect(
            self.page.get_by_role("button", name="Create Admin Account")
        ).to_be_visible()

    def sign_up(self) -> None:
        self.page.fill("#name", ADMIN_NAME)
        self.page.fill("#email", EMAIL)
        self.page.fill("#password", PASSWORD)
        with self.page.expect_response(
            self.responded("POST", "/api/v1/auths/signup")
        ) as signup:
            self.page.get_by_role("button", name="Create Admin Account").click()
        assert signup.value.ok, f"sign-up answered {signup.value.status}"
        body = signup.value.json()
        assert body["role"] == "admin", body

    def close_whats_new(self) -> None:
        close = self.page.get_by_role("button", name="Okay, Let's Go!")
        expect(close).to_be_visible()
        # Closing it saves the version seen into the user's settings.
        with self.page.expect_response(
            self.responded("POST", "/api/v1/users/user/settings/update")
        ) as saved:
            close.click()
        assert saved.value.ok, f"settings update answered {saved.value.status}"
        expect(close).to_be_hidden()

    def chat_page(self) -> None:
        # The send button shows once there is something to send.
        expect(self.page.locator("#chat-input")).to_be_visible()
        assert urlsplit(self.page.url).path == "/", self.page.url

    def pick_model(self) -> None:
        self.choose_model()
        self.screenshot("chat-page-model-picked")

    def choose_model(self) -> None:
        picker = self.page.locator(PICKER).first
        expect(picker).to_be_visible()
        picker.click()
        option = self.page.locator(
            f"[role=option][data-value='{self.model}'][id^='model-option-']"
        )
        expect(option).to_be_visible()
        option.click()
        expect(option).to_be_hidden()
        expect(picker).to_have_text(self.model)

    def send_prompt(self) -> None:
        self.page.locator("#chat-input").click()
        self.page.keyboard.type(PROMPT)
        with self.page.expect_response(
            self.responded("POST", "/api/chat/completions")
        ) as completion:
            self.page.locator("#send-message-button").click()
        assert completion.value.ok, f"completion answered {completion.value.status}"
        self.page.wait_for_url("**/c/*")
        self.result.chat_id = urlsplit(self.page.url).path.rsplit("/", 1)[-1]
        assert UUID.fullmatch(self.result.chat_id), self.page.url

    def streamed_reply(self) -> None:
        self.await_reply()
        self.screenshot("streamed-reply")

    def workspace_model_reply(self) -> None:
        self.await_reply()
        self.screenshot("workspace-model-reply")

    def await_reply(self) -> None:
        """The reply streams in over Socket.IO, in more than one event, and ends."""
        reply = self.page.locator(ASSISTANT_TEXT).last
        expect(reply).to_have_text(self.result.expected_reply)
        # Done, and every task of the chat (title, tags, follow-ups) finished too.
        self.wait_for(
            "the completion's last event",
            lambda: any(
                isinstance(data, dict) and data.get("done")
                for data in self.events_of("chat:completion")
            ),
        )
        self.wait_for(
            "the chat's tasks to end",
            lambda: any(
                isinstance(data, dict) and data.get("active") is False
                for data in self.events_of("chat:active")
            ),
        )
        self.result.reply_deltas = sum(
            1
            for data in self.events_of("response:completion")
            if isinstance(data, dict)
            and data.get("type") == "response.output_text.delta"
        )
        assert self.result.reply_deltas >= 2, (
            f"the reply came in {self.result.reply_deltas} Socket.IO event(s), "
            "not streamed"
        )

    def reload(self) -> None:
        self.page.reload(wait_until="domcontentloaded")
        expect(self.page.locator("#chat-input")).to_be_visible()
        # The reply now comes from the saved chat, not from the stream.
        expect(self.page.locator(ASSISTANT_TEXT).last).to_have_text(
            self.result.expected_reply
        )

    def chat_in_sidebar(self) -> None:
        open_sidebar = self.page.get_by_role("button", name="Open Sidebar")
        if open_sidebar.is_visible():
            open_sidebar.click()
        expect(self.chat_item()).to_be_visible()

    def rename(self) -> None:
        self.open_chat_menu()
        self.page.get_by_role("menuitem", name="Rename").click()
        title = self.page.locator(f"#chat-title-input-{self.result.chat_id}")
        expect(title).to_be_visible()
        title.fill(NEW_TITLE)
        with self.page.expect_response(
            self.responded("POST", f"/api/v1/chats/{self.result.chat_id}")
        ) as renamed:
            title.press("Enter")
        assert renamed.value.ok, f"rename answered {renamed.value.status}"
        expect(self.chat_item()).to_contain_text(NEW_TITLE)
        # What the server now holds, asked through the proxy as the browser's user.
        saved = httpx.get(
            f"{self.base_url}/api/v1/chats/{self.result.chat_id}",
            headers={"Authorization": f"Bearer {self.token()}"},
            timeout=STEP_TIMEOUT,
        )
        assert saved.status_code == 200, saved.text
        assert saved.json()["title"] == NEW_TITLE, saved.json()["title"]
        self.settle_sidebar()
        self.screenshot("sidebar-renamed-chat")

    def delete(self) -> None:
        # From a new chat's page: deleting the chat on screen makes the frontend
        # fetch it once more, or not, as its navigation races the fetch, and the
        # 401 that the deleted id answers then shows as a console error.
        new_chat = self.page.get_by_role("link", name="New Chat")
        new_chat.locator("visible=true").first.click()
        self.page.wait_for_url(self.base_url + "/")
        expect(self.page.locator("#chat-input")).to_be_visible()
        self.open_chat_menu()
        self.page.get_by_role("menuitem", name="Delete").click()
        with self.page.expect_response(
            self.responded("DELETE", f"/api/v1/chats/{self.result.chat_id}")
        ) as deleted:
            self.page.get_by_role("button", name="Confirm").click()
        assert deleted.value.ok, f"delete answered {deleted.value.status}"
        expect(self.chat_item()).to_have_count(0)

    def sign_out(self) -> None:
        self.page.locator(USER_MENU).first.click()
        with self.page.expect_response(
            self.responded("POST", "/api/v1/auths/signout")
        ) as signout:
            self.page.get_by_role("menuitem", name="Sign Out").click()
        assert signout.value.ok, f"sign-out answered {signout.value.status}"
        self.page.wait_for_url("**/auth**")
        expect(self.page.locator("#email")).to_be_visible()
        expect(self.page.locator("#password")).to_be_visible()
        expect(self.page.get_by_role("button", name="Sign in")).to_be_visible()
        self.screenshot("sign-in-page")

    def sign_in_again(self) -> None:
        # The user's settings arrive after the sign-in; they hold the version the
        # what's-new dialog saved, so it stays closed this time.
        with self.page.expect_response(
            self.responded("GET", "/api/v1/users/user/settings")
        ) as settings:
            self.sign_in()
        assert settings.value.ok, f"settings answered {settings.value.status}"
        self.page.wait_for_url(self.base_url + "/")
        expect(self.page.locator("#chat-input")).to_be_visible()
        expect(self.page.locator(PICKER).first).to_have_text(self.model)
        self.page.wait_for_timeout(SETTLE_MS)
        expect(self.page.get_by_role("button", name="Okay, Let's Go!")).to_have_count(0)

    def add_workspace_model(self) -> None:
        """Add a workspace model from the page, with the request the admin's
        Workspace page sends, then open a new chat, which lists the models again."""
        model = {
            "id": WORKSPACE_MODEL,
            "name": WORKSPACE_MODEL,
            "base_model_id": self.model,
            "meta": {"description": "The provider's model, with a system prompt."},
            "params": {"system": "Answer in the words of the question."},
        }
        with self.page.expect_response(
            self.responded("POST", "/api/v1/models/create")
        ) as created:
            self.page.evaluate(CREATE_MODEL, model)
        assert created.value.ok, f"create answered {created.value.status}"
        self.model = WORKSPACE_MODEL
        with self.page.expect_response(self.responded("GET", "/api/models")) as listed:
            self.page.goto(self.base_url + "/")
        assert listed.value.ok, f"the model list answered {listed.value.status}"
        assert WORKSPACE_MODEL in {m["id"] for m in listed.value.json()["data"]}
        expect(self.page.locator("#chat-input")).to_be_visible()

    def failure_screenshot(self, step: str) -> None:
        """The page as the failed step left it, for the report; best effort."""
        self.failures.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        try:
            self.page.screenshot(path=self.failures / f"{self.result.mode}-{slug}.png")
        except Error as error:
            self.result.errors.append(f"[{step}] no screenshot of the failure: {error}")

    # -- the run ------------------------------------------------------------------

    def steps(self) -> list[tuple[str, Callable[[], None]]]:
        return [
            ("first visit", self.first_visit),
            ("get started", self.get_started),
            ("sign up the first user (admin)", self.sign_up),
            ("close the what's-new dialog", self.close_whats_new),
            ("chat page", self.chat_page),
            ("the provider's model is picked", self.pick_model),
            ("type a prompt and send it", self.send_prompt),
            ("the streamed reply appears", self.streamed_reply),
            ("reload", self.reload),
            ("the chat is in the sidebar", self.chat_in_sidebar),
            ("rename the chat", self.rename),
            ("delete the chat", self.delete),
            ("sign out", self.sign_out),
            ("sign in again: the chat page", self.sign_in_again),
            ("a workspace model is added", self.add_workspace_model),
            ("the workspace model is picked", self.choose_model),
            ("ask the workspace model", self.send_prompt),
            ("its streamed reply appears", self.workspace_model_reply),
        ]

    def run(self) -> FlowResult:
        failed = False
        for name, action in self.steps():
            if failed:
                self.result.steps.append(StepResult(name, False, 0.0, NOT_RUN))
                continue
            self.step = name
            started = time.monotonic()
            error = ""
            try:
                action()
            except (AssertionError, Error, httpx.HTTPError):
                error = traceback.format_exc(limit=-2)
            seconds = round(time.monotonic() - started, 3)
            if not error and seconds > STEP_TIMEOUT:
                error = f"took {seconds:.1f} s, more than {STEP_TIMEOUT:.0f} s"
            self.result.steps.append(StepResult(name, not error, seconds, error))
            if error:
                failed = True
                self.failure_screenshot(name)
        self.step = "after the flow"
        return self.result
