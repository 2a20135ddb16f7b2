"""The HTML reader on a saved handbook page with a cookie banner, nav bar, sidebar and footer."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.errors import GuideError
from ingest.formats.html import HtmlReader

PAGE = Path(__file__).parents[1] / "fixtures" / "formats" / "handbook.html"


def lines(text: str) -> list[str]:
    return text.split("\n")


def test_main_content_only_in_canonical_blocks() -> None:
    started = time.perf_counter()
    canonical = HtmlReader().read(PAGE, "handbook.html")
    elapsed_ms = (time.perf_counter() - started) * 1000
    got = lines(canonical.text)
    assert got[0] == "# Running one-on-ones"
    assert "## How often to meet" in got and "### When to skip" in got
    paragraph = (
        "Weekly meetings of thirty minutes work for most teams. To new managers, weekly can "
        "seem like a lot, but the cadence builds trust that a monthly meeting cannot, as the "
        "research on feedback suggests."
    )
    for whole in (
        paragraph,
        "Skip a meeting only when both people agree. Reschedule it rather than cancelling it "
        "outright.",
        "- Career goals and the next step the report wants to take.",
        "- Blockers in current work:",
        "  - decisions waiting on someone else;",
        "  - missing information or access.",
        "- Send the agenda a day before.",
        "| Role | Cadence | Length |",
        "| New hire | Weekly | 45 minutes |",
        "| Established report | Every two weeks | 30 minutes |",
    ):
        assert whole in got, whole
    header = got.index("| Role | Cadence | Length |")
    assert got[header + 1] == "| --- | --- | --- |"
    for boilerplate in (
        "cookies",
        "Home",
        "Engineering",
        "In this section",
        "Onboarding",
        "All rights reserved",
        "Privacy policy",
        "dataLayer",
        "font-family",
    ):
        assert boilerplate not in canonical.text, boilerplate
    assert canonical.links == (("the research on feedback", "https://example.org/research"),)
    assert "https://" not in canonical.text
    assert canonical.pages == ()
    assert elapsed_ms < 500, f"{elapsed_ms:.1f} ms for one page"


def test_blocks_are_separated_by_one_blank_line() -> None:
    text = HtmlReader().read(PAGE, "handbook.html").text
    assert "\n\n\n" not in text and text.endswith("\n")
    assert "\n\n## What to talk about\n\n- Career goals" in text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "file is empty"),
        (b"   \n", "file is empty"),
        (b"<html><head><script>var a = 1;</script></head><body></body></html>", "has no main text"),
    ],
)
def test_unreadable_pages_say_why(tmp_path: Path, content: bytes, reason: str) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(content)
    with pytest.raises(GuideError) as caught:
        HtmlReader().read(page, "guides/page.html")
    assert str(caught.value).startswith("guides/page.html: " + reason)
    assert "—" in caught.value.problem  # says what to do


def test_a_missing_file_is_a_guide_error(tmp_path: Path) -> None:
    with pytest.raises(GuideError, match="cannot be read"):
        HtmlReader().read(tmp_path / "gone.htm", "gone.htm")


def test_a_short_page_in_another_encoding_keeps_its_structure(tmp_path: Path) -> None:
    page = tmp_path / "resume.html"
    page.write_bytes(
        '<html><head><meta charset="iso-8859-1"></head><body><nav><a href="/">Home</a></nav>'
        "<main><h1>R\xe9sum\xe9 basics</h1><p>A r\xe9sum\xe9 is a one-page summary of what you "
        "can do.</p></main></body></html>".encode("latin-1")
    )
    assert HtmlReader().read(page, "resume.html").text == (
        "# R\xe9sum\xe9 basics\n\nA r\xe9sum\xe9 is a one-page summary of what you can do.\n"
    )
