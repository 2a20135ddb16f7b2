"""A link to a cited passage (as the Slack app writes them) opens it in the widget."""

from __future__ import annotations

from playwright.sync_api import expect

from api.slack.blocks import source_url
from coach.schema import Answer
from tests.api.live_server import QUESTION, Served
from tests.browser.widget_page import NewPage, messages


def test_a_source_link_opens_the_conversation_and_the_passage(
    new_page: NewPage, server: Served
) -> None:
    first = Answer.model_validate(server.ask(QUESTION))
    later = server.ask("Which vector databases do employers ask for?", first.session_id)
    assert len(first.citations) >= 2
    cited = first.citations[1]

    page = new_page()
    page.goto(source_url(server.url, first, cited))
    expect(messages(page, "assistant")).to_have_count(2)  # the whole conversation
    expect(page.get_by_test_id("source-panel")).to_be_visible()
    expect(page.get_by_test_id("source-title")).to_have_text(cited.title)
    expect(page.get_by_test_id("source-section")).to_have_text(cited.section)
    expect(page.get_by_test_id("source-file")).to_have_text(cited.source)
    # the passage of the linked answer, not the latest one's
    first_reply = messages(page, "assistant").first
    expect(first_reply.locator(f".citation-chip[data-cite='{cited.id}']")).to_have_attribute(
        "aria-expanded", "true"
    )
    assert later["message_id"] != first.message_id


def test_a_link_to_a_forgotten_conversation_starts_a_new_one(
    new_page: NewPage, server: Served
) -> None:
    page = new_page()
    page.goto(f"{server.url}/#session=0123456789abcdef&message=x&cite=1")
    expect(page.get_by_test_id("composer")).to_be_enabled()
    expect(page.get_by_test_id("source-panel")).to_be_hidden()
    expect(messages(page, "assistant")).to_have_count(0)
