"""What the browser tests share: viewports, a watcher for what must not happen, and the
one way a test asks the coach a question through the widget."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from playwright.sync_api import ConsoleMessage, Dialog, FrameLocator, Locator, Page, expect

from tests.api.live_server import Served

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

SALARY_QUESTION = "What do AI Documentation Engineers earn?"
SALARY_FIGURE = "$90,000"
OFF_TOPIC = "What's a good recipe for banana bread?"

Surface = Page | FrameLocator
NewPage = Callable[..., Page]  # the new_page fixture: a fresh, watched page
ServeCoach = Callable[..., AbstractContextManager[Served]]  # the serve_coach fixture


@dataclass
class Watch:
    """Dialogs, uncaught page errors and CSP violations seen by a test's pages."""

    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_reports: list[str] = field(default_factory=list)
    expect_csp: bool = False

    def attach(self, page: Page) -> None:
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))
        page.on("console", self._console)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.csp_reports.append(message.text)

    def check(self) -> None:
        assert self.dialogs == [], "a dialog opened"
        assert self.page_errors == [], "the page threw"
        if not self.expect_csp:
            assert self.csp_reports == [], "the Content-Security-Policy blocked something"


def messages(surface: Surface, role: str) -> Locator:
    return surface.locator(f"[data-testid='message'][data-role='{role}']")


def finished(reply: Locator) -> None:
    """Wait until ``reply`` is a complete, stored answer (it offers feedback then)."""
    expect(reply.get_by_test_id("feedback-up")).to_be_visible()


def ask(surface: Surface, question: str) -> Locator:
    """Type ``question`` in the composer, press Enter; the finished reply."""
    replies = messages(surface, "assistant")
    count = replies.count()
    composer = surface.get_by_test_id("composer")
    expect(composer).to_be_enabled()
    composer.fill(question)
    composer.press("Enter")
    reply = replies.nth(count)
    finished(reply)
    expect(composer).to_be_enabled()
    return reply


def session_id(surface: Surface) -> str:
    """The shown conversation's id, as the sidebar knows it."""
    current = surface.locator("[data-testid='conversation'][aria-current='true']")
    expect(current).to_have_count(1)
    value = current.get_attribute("data-session-id")
    assert value
    return value
