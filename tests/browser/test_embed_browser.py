"""The embed script on someone else's site: a host page on another loopback server loads
``/widget.js``; the launcher opens the coach in an iframe, which works only for the origins
the coach allows (COACH_CORS_ORIGINS: CSP frame-ancestors and CORS)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.api.live_server import Served
from tests.browser.widget_page import (
    PHONE,
    SALARY_FIGURE,
    SALARY_QUESTION,
    NewPage,
    ServeCoach,
    Watch,
    ask,
    session_id,
)

# Host-page CSS that would wreck a widget living in the host's DOM.
HOSTILE_CSS = """
  * { box-sizing: content-box !important; font-size: 40px; }
  button { width: 10px; height: 10px; padding: 30px; background: red; }
  iframe { display: none; }
  div { border: 5px solid orange; }
"""


class HostSite:
    """Someone else's website: static pages on their own loopback port."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path.split("?")[0])
                status = HTTPStatus.OK if body is not None else HTTPStatus.NOT_FOUND
                data = (body or "not found").encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        # "localhost" rather than 127.0.0.1: another site, not just another origin.
        self.origin = f"http://localhost:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def host(self, coach_url: str, path: str = "/", attributes: str = "") -> str:
        """Publish a host page embedding the coach; its URL."""
        self.pages[path] = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme careers</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{HOSTILE_CSS}</style></head>
<body><h1>Acme careers blog</h1><p>Thinking about AI? Ask our coach.</p>
<script src="{coach_url}/widget.js" data-coach-url="{coach_url}" {attributes}></script>
</body></html>"""
        return f"{self.origin}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def host_site() -> Iterator[HostSite]:
    site = HostSite()
    yield site
    site.close()


@pytest.fixture(scope="module")
def stranger_site() -> Iterator[HostSite]:
    """A site the coach does not allow."""
    site = HostSite()
    yield site
    site.close()


@pytest.fixture(scope="module")
def server(serve_coach: ServeCoach, host_site: HostSite) -> Iterator[Served]:
    """The coach, allowing the host site (and only it) to embed it."""
    with serve_coach(cors_origins=[host_site.origin]) as served:
        yield served


def open_widget(page: Page) -> None:
    launcher = page.get_by_test_id("widget-launcher")
    expect(launcher).to_be_visible()
    launcher.click()
    expect(page.get_by_test_id("widget-panel")).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "true")


def test_the_launcher_opens_a_working_coach(
    new_page: NewPage, server: Served, host_site: HostSite, screenshots: Path
) -> None:
    page = new_page()
    page.goto(host_site.host(server.url))
    launcher = page.get_by_test_id("widget-launcher")
    expect(launcher).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    box = launcher.bounding_box()  # the shadow root keeps the host's CSS out
    assert box and (round(box["width"]), round(box["height"])) == (56, 56), box
    assert box["x"] + box["width"] > 1280 - 40 and box["y"] + box["height"] > 800 - 40, box
    panel = page.get_by_test_id("widget-panel")
    expect(panel).to_be_hidden()
    expect(panel.locator("iframe")).to_have_count(0)  # nothing loads before it is asked for

    open_widget(page)
    iframe = panel.locator("iframe")
    src = iframe.get_attribute("src")
    assert src == f"{server.url}/#embed=1", src
    frame = page.frame_locator("[data-testid='widget-panel'] iframe")
    composer = frame.get_by_test_id("composer")
    expect(composer).to_be_focused()  # the launcher hands focus to the chat

    reply = ask(frame, SALARY_QUESTION)
    expect(reply.get_by_test_id("answer")).to_contain_text(SALARY_FIGURE)
    expect(reply.get_by_test_id("citation-chip").first).to_be_visible()
    stored = server.session(session_id(frame))
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant"]
    page.screenshot(path=screenshots / "embed-desktop.png", animations="disabled")

    reply.get_by_test_id("citation-chip").first.click()
    expect(frame.get_by_test_id("source-title")).not_to_be_empty()
    frame.get_by_test_id("source-close").click()

    # The chat's own close button closes the host's panel (postMessage to the parent).
    frame.get_by_role("button", name="Close chat").click()
    expect(panel).to_be_hidden()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(launcher).to_be_focused()

    # Reopening shows the same conversation; Escape inside the chat closes it again.
    launcher.click()
    expect(panel).to_be_visible()
    expect(frame.get_by_test_id("user-text")).to_have_text([SALARY_QUESTION])
    expect(composer).to_be_focused()
    composer.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_be_focused()


def test_the_coach_refuses_sites_it_does_not_allow(
    new_page: NewPage, server: Served, stranger_site: HostSite, host_site: HostSite, watch: Watch
) -> None:
    watch.expect_csp = True  # the refusal is a CSP report
    page = new_page()
    page.goto(stranger_site.host(server.url))
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text) as refused:
        open_widget(page)
    assert server.url in refused.value.text
    frame = page.frame_locator("[data-testid='widget-panel'] iframe")
    expect(frame.get_by_test_id("composer")).to_have_count(0)

    # CORS: the allowed site may call the API from its own scripts; the stranger may not.
    call = """async (url) => {
        try {
            const r = await fetch(url + '/api/sessions/none', {headers: {'Content-Type':
                'application/json', 'Authorization': 'Bearer x'}});
            return 'status ' + r.status;
        } catch (e) { return 'blocked'; }
    }"""
    assert page.evaluate(call, server.url) == "blocked"
    allowed = new_page()
    allowed.goto(host_site.host(server.url, path="/cors"))
    assert allowed.evaluate(call, server.url) == "status 404"


def test_on_a_phone_the_chat_takes_the_screen(
    new_page: NewPage, server: Served, host_site: HostSite
) -> None:
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(host_site.host(server.url, path="/phone", attributes='data-position="left"'))
    launcher = page.get_by_test_id("widget-launcher")
    expect(launcher).to_be_visible()
    box = launcher.bounding_box()
    assert box and box["x"] < 40, box  # data-position="left"

    launcher.tap()
    panel = page.get_by_test_id("widget-panel")
    expect(panel).to_be_visible()
    panel_box = panel.bounding_box()
    assert panel_box == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}
    expect(launcher).to_be_hidden()  # the chat's own close button takes over
    frame = page.frame_locator("[data-testid='widget-panel'] iframe")
    close = frame.get_by_role("button", name="Close chat")
    expect(close).to_be_in_viewport()
    expect(frame.get_by_test_id("composer")).to_be_in_viewport()
    close.tap()
    expect(panel).to_be_hidden()
    expect(launcher).to_be_visible()
