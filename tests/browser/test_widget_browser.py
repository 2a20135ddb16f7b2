"""The chat page in a real browser against the real app: ask, read, check sources, rate,
come back later; hostile input, off-topic questions, the keyboard, failures and a phone."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from coach.schema import Retrieved, Turn
from tests.api.live_server import FailingGenerator, Served
from tests.browser.widget_page import (
    OFF_TOPIC,
    PHONE,
    SALARY_FIGURE,
    SALARY_QUESTION,
    NewPage,
    ask,
    finished,
    messages,
    session_id,
)

GATE_TIMEOUT = 30  # seconds a gated answer waits for the test before going on anyway


class GatedGenerator:
    """The real generator, held twice: before its first piece, and after it.

    The test opens each gate once it has seen what the widget shows meanwhile, so the
    typing indicator and the streamed text are checked without any timing luck.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.first_piece = threading.Event()
        self.rest = threading.Event()

    def stream(self, question: str, context: list[Retrieved], history: list[Turn]) -> Iterator[Any]:
        pieces = self.inner.stream(question, context, history)
        self.first_piece.wait(GATE_TIMEOUT)
        yield next(pieces)
        self.rest.wait(GATE_TIMEOUT)
        yield from pieces

    def open(self) -> None:
        self.first_piece.set()
        self.rest.set()


@pytest.fixture
def gated(server: Served, monkeypatch: pytest.MonkeyPatch) -> Iterator[GatedGenerator]:
    gate = GatedGenerator(server.parts.coach.generator)
    monkeypatch.setattr(server.parts.coach, "generator", gate)
    yield gate
    gate.open()  # never leave a server thread waiting


def assistant_turns(stored: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in stored["messages"] if m["role"] == "assistant"]


def no_horizontal_overflow(page: Page) -> None:
    widths = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, window.innerWidth,"
        " document.body.scrollWidth]"
    )
    scroll_width, inner_width, body_width = widths
    assert scroll_width <= inner_width, widths
    assert body_width <= inner_width, widths


def test_an_answer_streams_in_then_its_sources_open(
    page: Page, server: Served, gated: GatedGenerator, screenshots: Path
) -> None:
    composer = page.get_by_test_id("composer")
    composer.fill(SALARY_QUESTION)
    page.get_by_test_id("send").click()

    expect(page.get_by_test_id("user-text")).to_have_text(SALARY_QUESTION)
    typing = page.get_by_test_id("typing")
    expect(typing).to_be_visible()  # the server holds the answer: only the indicator shows
    expect(composer).to_be_disabled()
    expect(page.get_by_test_id("send")).to_be_disabled()

    gated.first_piece.set()
    reply = messages(page, "assistant").first
    answer = reply.get_by_test_id("answer")
    expect(answer).not_to_be_empty()  # the first piece, streamed in
    expect(typing).to_be_hidden()
    expect(reply.get_by_test_id("feedback-up")).to_have_count(0)  # not finished yet

    gated.rest.set()
    finished(reply)
    expect(answer).to_contain_text(SALARY_FIGURE)
    expect(composer).to_be_enabled()

    cited = assistant_turns(server.session(session_id(page)))[-1]["citations"]
    assert cited, "the stored answer cites nothing"
    chips = reply.get_by_test_id("citation-chip")
    expect(chips).to_have_count(len(cited))
    source = cited[0]
    chip = chips.first
    expect(chip).to_have_attribute("data-cite", str(source["id"]))

    chip.click()
    panel = page.get_by_test_id("source-panel")
    expect(panel).to_be_visible()
    expect(page.get_by_test_id("source-title")).to_have_text(source["title"])
    expect(page.get_by_test_id("source-section")).to_have_text(source["section"])
    expect(page.get_by_test_id("source-file")).to_have_text(source["source"])
    snippet = page.get_by_test_id("source-snippet")
    expect(snippet).not_to_be_empty()
    expect(snippet).to_contain_text(" ".join(source["snippet"].split()[:6]))
    expect(chip).to_have_attribute("aria-expanded", "true")
    page.screenshot(path=screenshots / "desktop-source-panel.png", animations="disabled")

    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(chip).to_have_attribute("aria-expanded", "false")
    expect(chip).to_be_focused()  # focus goes back to what opened the panel

    # The inline [n] marker in the text opens the same passage; the close button closes it.
    marker = answer.locator(f"a.cite[data-cite='{source['id']}']").first
    expect(marker).to_be_visible()
    marker.click()
    expect(page.get_by_test_id("source-title")).to_have_text(source["title"])
    page.get_by_test_id("source-close").click()
    expect(panel).to_be_hidden()
    page.screenshot(path=screenshots / "desktop-conversation.png", animations="disabled")


def test_feedback_is_shown_pressed_and_stored(page: Page, server: Served) -> None:
    reply = ask(page, SALARY_QUESTION)
    up = reply.get_by_test_id("feedback-up")
    down = reply.get_by_test_id("feedback-down")
    expect(up).to_have_attribute("aria-pressed", "false")

    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(down).to_have_attribute("aria-pressed", "false")
    expect(reply.get_by_text("Thanks for the feedback")).to_be_visible()  # the server said OK
    stored = assistant_turns(server.session(session_id(page)))
    assert [m["feedback"] for m in stored] == ["up"]

    down.click()  # a change of mind replaces the rating
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(reply.get_by_text("Thanks for the feedback")).to_be_visible()
    stored = assistant_turns(server.session(session_id(page)))
    assert [m["feedback"] for m in stored] == ["down"]


def test_a_reload_rebuilds_the_conversation_from_the_api(page: Page, server: Served) -> None:
    first = ask(page, SALARY_QUESTION)
    second = ask(page, "What skills transfer from backend development?")
    chips = [
        first.get_by_test_id("citation-chip").count(),
        second.get_by_test_id("citation-chip").count(),
    ]
    first.get_by_test_id("feedback-up").click()
    expect(first.get_by_text("Thanks for the feedback")).to_be_visible()
    shown_id = session_id(page)

    page.reload()
    expect(page.get_by_test_id("message")).to_have_count(4)
    expect(page.get_by_test_id("user-text")).to_have_text(
        [SALARY_QUESTION, "What skills transfer from backend development?"]
    )
    replies = messages(page, "assistant")
    expect(replies.first.get_by_test_id("answer")).to_contain_text(SALARY_FIGURE)
    for index, count in enumerate(chips):
        expect(replies.nth(index).get_by_test_id("citation-chip")).to_have_count(count)
    expect(replies.first.get_by_test_id("feedback-up")).to_have_attribute("aria-pressed", "true")
    expect(replies.nth(1).get_by_test_id("feedback-up")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_test_id("starter").first).to_be_hidden()
    assert session_id(page) == shown_id
    expect(page.get_by_test_id("conversation")).to_have_text([SALARY_QUESTION])

    # Sources still open from a rebuilt answer.
    replies.first.get_by_test_id("citation-chip").first.click()
    expect(page.get_by_test_id("source-snippet")).not_to_be_empty()

    # A follow-up continues the same stored conversation.
    ask(page, "And how long does that move take?")
    assert len(server.session(shown_id)["messages"]) == 6


def test_markup_in_a_question_stays_text(new_page: NewPage, server: Served) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    page = new_page()
    page.goto(f"{server.url}/")
    reply = ask(page, hostile)

    expect(page.get_by_test_id("user-text")).to_have_text(hostile)
    log = page.get_by_test_id("messages")
    expect(log.locator("img")).to_have_count(0)
    expect(page.locator("img[src='x']")).to_have_count(0)
    expect(page.get_by_test_id("conversation")).to_have_text([hostile])
    expect(reply.get_by_test_id("answer")).not_to_be_empty()

    page.reload()  # the history path renders it again, from the API
    expect(page.get_by_test_id("user-text")).to_have_text(hostile)
    expect(messages(page, "assistant")).to_have_count(1)
    expect(page.locator("img[src='x']")).to_have_count(0)
    # The watcher fails the test at teardown if alert() ran (a dialog) or the CSP fired.


def test_an_off_topic_question_is_refused(page: Page, server: Served) -> None:
    reply = ask(page, OFF_TOPIC)
    expect(reply).to_have_attribute("data-refused", "true")
    expect(reply.get_by_test_id("refused-label")).to_be_visible()
    expect(reply.get_by_test_id("citation-chip")).to_have_count(0)
    assert assistant_turns(server.session(session_id(page)))[-1]["refused"] is True

    on_topic = ask(page, SALARY_QUESTION)  # the refusal does not stick to the conversation
    expect(on_topic).not_to_have_attribute("data-refused", "true")


def test_starters_ask_for_you_and_come_back_for_a_new_conversation(
    page: Page, server: Served
) -> None:
    starters = page.get_by_test_id("starter")
    expect(starters).to_have_count(4)
    expect(starters.first).to_be_visible()
    expect(page.get_by_test_id("message")).to_have_count(0)
    expect(page.get_by_test_id("conversation")).to_have_count(0)

    question = starters.nth(1).inner_text().strip()
    starters.nth(1).click()
    expect(page.get_by_test_id("user-text")).to_have_text(question)
    finished(messages(page, "assistant").first)
    expect(starters.first).to_be_hidden()
    title = question if len(question) <= 48 else f"{question[:47].rstrip()}…"  # app.js TITLE_MAX
    expect(page.get_by_test_id("conversation")).to_have_text([title])
    first_id = session_id(page)
    assert server.session(first_id)["messages"][0]["content"] == question

    page.get_by_test_id("new-conversation").click()
    expect(page.get_by_test_id("message")).to_have_count(0)
    expect(starters.first).to_be_visible()
    expect(page.get_by_test_id("composer")).to_be_focused()
    expect(page.locator("[data-testid='conversation'][aria-current='true']")).to_have_count(0)

    # The old conversation stays in the sidebar and opens again.
    page.get_by_test_id("conversation").first.click()
    expect(page.get_by_test_id("user-text")).to_have_text(question)
    assert session_id(page) == first_id


def test_deleting_a_conversation_erases_it_on_the_server(page: Page, server: Served) -> None:
    ask(page, SALARY_QUESTION)
    doomed = session_id(page)
    page.get_by_test_id("delete-conversation").click()
    expect(page.get_by_test_id("conversation")).to_have_count(0)
    expect(page.get_by_test_id("message")).to_have_count(0)
    expect(page.get_by_test_id("starter").first).to_be_visible()
    assert server.client.get(f"/api/sessions/{doomed}").status_code == 404

    page.reload()  # nothing comes back
    expect(page.get_by_test_id("composer")).to_be_enabled()
    expect(page.get_by_test_id("message")).to_have_count(0)


def test_enter_sends_and_shift_enter_breaks_the_line(page: Page) -> None:
    composer = page.get_by_test_id("composer")
    expect(composer).to_be_focused()  # the page gives the composer focus
    send = page.get_by_test_id("send")
    expect(send).to_be_disabled()  # nothing to send yet

    page.keyboard.type("What skills transfer")
    expect(send).to_be_enabled()
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("from backend development?")
    expect(composer).to_have_value("What skills transfer\nfrom backend development?")
    expect(page.get_by_test_id("message")).to_have_count(0)  # Shift+Enter sent nothing

    page.keyboard.press("Enter")
    expect(messages(page, "user")).to_have_count(1)
    expect(composer).to_have_value("")
    user_text = page.get_by_test_id("user-text")
    expect(user_text).to_have_text("What skills transfer\nfrom backend development?")
    assert user_text.inner_text() == "What skills transfer\nfrom backend development?"
    finished(messages(page, "assistant").first)
    expect(composer).to_be_focused()  # back in the composer, ready for a follow-up

    page.keyboard.press("Enter")  # an empty composer sends nothing
    page.keyboard.type("   ")
    expect(composer).to_have_value("   ")
    expect(send).to_be_disabled()
    page.keyboard.press("Enter")
    expect(messages(page, "user")).to_have_count(1)


def test_a_failed_request_offers_retry(page: Page, server: Served) -> None:
    def fail(route: Route) -> None:
        route.fulfill(
            status=500,
            json={"error": {"code": "internal", "message": "Something broke on our side."}},
        )

    page.route("**/api/chat/stream", fail)
    page.get_by_test_id("composer").fill(SALARY_QUESTION)
    page.keyboard.press("Enter")
    error = page.get_by_test_id("message-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Something broke on our side.")
    retry = error.get_by_test_id("retry")
    expect(retry).to_be_enabled()
    expect(page.get_by_test_id("typing")).to_be_hidden()
    expect(page.get_by_test_id("composer")).to_be_enabled()

    page.unroute("**/api/chat/stream")
    retry.click()
    reply = messages(page, "assistant").first
    finished(reply)
    expect(page.get_by_test_id("message-error")).to_have_count(0)
    expect(messages(page, "assistant")).to_have_count(1)
    expect(messages(page, "user")).to_have_count(1)
    expect(reply.get_by_test_id("answer")).to_contain_text(SALARY_FIGURE)
    stored = server.session(session_id(page))["messages"]
    assert [m["role"] for m in stored] == ["user", "assistant"]


def test_a_rate_limited_request_counts_down_before_retry(page: Page) -> None:
    def limited(route: Route) -> None:
        route.fulfill(
            status=429,
            headers={"Retry-After": "1"},
            json={"error": {"code": "rate_limited", "message": "Too many questions."}},
        )

    page.route("**/api/chat/stream", limited)
    page.get_by_test_id("composer").fill(SALARY_QUESTION)
    page.keyboard.press("Enter")
    error = page.get_by_test_id("message-error")
    expect(error).to_contain_text("Too many questions. Try again in 1 s.")
    retry = error.get_by_test_id("retry")
    expect(retry).to_be_disabled()
    expect(retry).to_have_text("Retry in 1s")
    expect(retry).to_be_enabled()  # once Retry-After has passed
    expect(retry).to_have_text("Retry")

    page.unroute("**/api/chat/stream")
    retry.click()
    finished(messages(page, "assistant").first)
    expect(page.get_by_test_id("message-error")).to_have_count(0)


def test_an_answer_that_breaks_midway_offers_retry(
    page: Page, server: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = server.parts.coach.generator
    monkeypatch.setattr(server.parts.coach, "generator", FailingGenerator(real.embeddings))
    page.get_by_test_id("composer").fill(SALARY_QUESTION)
    page.keyboard.press("Enter")
    error = page.get_by_test_id("message-error")
    expect(error).to_be_visible()
    expect(page.get_by_test_id("messages")).not_to_contain_text("secret internals")

    monkeypatch.setattr(server.parts.coach, "generator", real)
    error.get_by_test_id("retry").click()
    reply = messages(page, "assistant").first
    finished(reply)
    expect(page.get_by_test_id("message-error")).to_have_count(0)
    expect(reply.get_by_test_id("answer")).to_contain_text(SALARY_FIGURE)
    expect(messages(page, "user")).to_have_count(1)


def test_a_phone_gets_the_whole_conversation(
    new_page: NewPage, server: Served, screenshots: Path
) -> None:
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page.goto(f"{server.url}/")
    composer = page.get_by_test_id("composer")
    expect(composer).to_be_enabled()
    expect(page.get_by_test_id("starter").first).to_be_in_viewport()
    no_horizontal_overflow(page)

    reply = ask(page, SALARY_QUESTION)
    expect(reply.get_by_test_id("answer")).to_contain_text(SALARY_FIGURE)
    expect(composer).to_be_in_viewport()
    expect(page.get_by_test_id("send")).to_be_in_viewport()
    box = composer.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    no_horizontal_overflow(page)
    page.screenshot(path=screenshots / "phone-conversation.png", animations="disabled")

    chip = reply.get_by_test_id("citation-chip").first
    chip.scroll_into_view_if_needed()
    chip.tap()
    panel = page.get_by_test_id("source-panel")
    expect(panel).to_be_in_viewport()
    panel_box = panel.bounding_box()
    assert panel_box and panel_box["x"] >= 0
    assert panel_box["x"] + panel_box["width"] <= PHONE["width"] + 0.5
    no_horizontal_overflow(page)
    page.screenshot(path=screenshots / "phone-source-panel.png", animations="disabled")
    page.get_by_test_id("source-close").tap()
    expect(panel).to_be_hidden()

    # The sidebar is a drawer behind the menu button.
    sidebar = page.locator("#sidebar")
    expect(page.get_by_test_id("new-conversation")).not_to_be_in_viewport()
    page.get_by_role("button", name="Open sidebar").tap()
    expect(page.get_by_test_id("new-conversation")).to_be_in_viewport()
    expect(page.get_by_test_id("conversation")).to_have_count(1)
    page.screenshot(path=screenshots / "phone-sidebar.png", animations="disabled")
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("new-conversation")).not_to_be_in_viewport()
    expect(sidebar).to_be_attached()
    no_horizontal_overflow(page)


# Known bugs, reproduced. Strict: each fails loudly once fixed, so its marker comes off.


def test_clicking_send_gives_the_composer_its_focus_back(page: Page) -> None:
    # applyBlocked() decides whether to refocus from document.activeElement when the answer
    # starts; after a click that is the Send button, which is not on its list.
    page.get_by_test_id("composer").fill(SALARY_QUESTION)
    page.get_by_test_id("send").click()
    finished(messages(page, "assistant").first)
    expect(page.get_by_test_id("composer")).to_be_focused(timeout=2_000)


def test_retrying_a_broken_answer_does_not_repeat_the_question(
    page: Page, server: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The chain stores the question before answering; Retry posts it again to the same session.
    real = server.parts.coach.generator
    monkeypatch.setattr(server.parts.coach, "generator", FailingGenerator(real.embeddings))
    page.get_by_test_id("composer").fill(SALARY_QUESTION)
    page.keyboard.press("Enter")
    error = page.get_by_test_id("message-error")
    expect(error).to_be_visible()
    monkeypatch.setattr(server.parts.coach, "generator", real)
    error.get_by_test_id("retry").click()
    finished(messages(page, "assistant").first)

    page.reload()
    expect(messages(page, "assistant")).to_have_count(1)
    expect(page.get_by_test_id("user-text")).to_have_text([SALARY_QUESTION], timeout=2_000)


def test_a_narrow_citation_chip_keeps_its_number_whole(new_page: NewPage, server: Served) -> None:
    # .citation-chip__num can shrink (flex-shrink: 1) down to its 20px min-width, so a long,
    # ellipsed title pushes "[1]" against the badge's right edge.
    page = new_page(viewport=PHONE)
    page.goto(f"{server.url}/")
    reply = ask(page, SALARY_QUESTION)
    measure = """el => {
        const range = document.createRange();
        range.selectNodeContents(el);
        const text = range.getBoundingClientRect(), box = el.getBoundingClientRect();
        return [text.left - box.left, box.right - text.right];
    }"""
    for badge in reply.locator(".citation-chip__num").all():
        left, right = badge.evaluate(measure)
        assert right >= 4 and abs(left - right) < 1, (left, right)


def test_a_question_left_unanswered_by_a_crash_shows_as_such_with_retry(
    page: Page, server: Served
) -> None:
    """#23: after a crash mid-answer the store holds the question and no reply; a reload shows
    it as not answered, and Retry completes that turn without storing the question twice."""
    ask(page, SALARY_QUESTION)
    shown_id = session_id(page)
    follow_up = "What skills transfer from backend development?"
    server.parts.history.add_message(shown_id, "user", follow_up)  # what a crash leaves

    page.reload()
    expect(page.get_by_test_id("user-text")).to_have_text([SALARY_QUESTION, follow_up])
    unanswered = page.locator("[data-unanswered='true']")
    expect(unanswered).to_have_count(1)
    expect(unanswered.get_by_test_id("message-error")).to_contain_text("not answered")
    expect(messages(page, "assistant").last).to_have_attribute("data-unanswered", "true")

    unanswered.get_by_test_id("retry").click()
    reply = messages(page, "assistant").last
    finished(reply)
    expect(page.locator("[data-unanswered='true']")).to_have_count(0)
    expect(page.get_by_test_id("message-error")).to_have_count(0)
    expect(page.get_by_test_id("user-text")).to_have_text([SALARY_QUESTION, follow_up])
    stored = server.session(shown_id)["messages"]
    assert [m["role"] for m in stored] == ["user", "assistant", "user", "assistant"]
