"""The markdown reader: any style of markdown guide into canonical text, one rule at a time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.formats.markdown import MarkdownReader, canonical_markdown
from ingest.headings import markdown_headings
from ingest.loader import GuideError, normalise

STYLES = Path(__file__).parents[1] / "fixtures" / "formats" / "styles.md"
CORPORA = Path(__file__).parents[3] / "eval" / "corpora"


@pytest.fixture(scope="module")
def styles() -> list[str]:
    return MarkdownReader().read(STYLES, "styles.md").text.split("\n")


def text_of(source: str) -> str:
    return canonical_markdown(source).text


def test_a_hard_wrapped_paragraph_is_one_line(styles: list[str]) -> None:
    assert (
        "To new managers, or to managers new to 1:1s, weekly can seem like a lot, but the "
        "cadence builds trust that a monthly meeting cannot, as the research on feedback "
        "suggests. Ask for the template."
    ) in styles
    assert text_of("one\ntwo  \nthree\\\nfour\n") == "one two three four\n"


def test_setext_and_atx_headings_become_atx_at_their_level(styles: list[str]) -> None:
    assert styles[0] == "# Running one-on-ones"
    assert "## How often to meet" in styles and "### What to talk about" in styles
    assert not any(set(line) <= {"=", "-"} and line for line in styles)
    assert text_of("Title\n=====\n\nPart ##\n----\n\n#### Deep ###\n") == (
        "# Title\n\n## Part ##\n\n#### Deep\n"
    )


def test_front_matter_goes_and_its_title_is_kept() -> None:
    canonical = MarkdownReader().read(STYLES, "styles.md")
    assert canonical.title == "Running one-on-ones"
    assert "layout" not in canonical.text and "handbook-banner" not in canonical.text
    assert canonical_markdown("---\nlayout: x\n---\nBody.\n").title is None
    assert canonical_markdown("---\n: [unclosed\n---\nBody.\n").text == "Body.\n"
    assert canonical_markdown("Body.\n").title is None
    assert canonical_markdown("---\ntitle: 2024\n---\nBody.\n").title == "2024"
    assert canonical_markdown("---\ntitle: [a, b]\n---\nBody.\n").title is None


def test_shortcodes_and_comments_go(styles: list[str]) -> None:
    text = "\n".join(styles)
    for gone in ("{%", "{{", "site.people_team", "<!--", "TODO", "offsite"):
        assert gone not in text, gone
    assert text_of("Hi {{< ref x >}}there{%- raw -%}, you{% endraw %}.\n") == "Hi there, you.\n"
    assert text_of("Keep <!-- not this --> that.\n") == "Keep that.\n"


def test_link_text_stays_and_urls_are_metadata() -> None:
    canonical = MarkdownReader().read(STYLES, "styles.md")
    assert "See the scheduling guide for how to book a recurring slot." in canonical.text
    assert canonical.links == (
        ("research on feedback", "https://example.org/research"),  # a reference link
        ("scheduling guide", "https://example.org/schedule"),
    )
    assert "example.org" not in canonical.text and "[feedback]" not in canonical.text
    assert canonical_markdown("<https://x.org/a>\n").links == (
        ("https://x.org/a", "https://x.org/a"),
    )


def test_inline_html_links_are_metadata_too() -> None:
    canonical = canonical_markdown('Read <a href="https://x.org/g">the *guide*</a> now.\n')
    assert canonical.text == "Read the *guide* now.\n"
    assert canonical.links == (("the guide", "https://x.org/g"),)


def test_admonition_marks_go_and_their_text_stays() -> None:
    assert text_of(":::tip Pro tip\nBook the **next** one.\n:::\n\nAfter.\n") == (
        "Book the **next** one.\n\nAfter.\n"
    )


def test_task_list_boxes_go_and_their_items_stay() -> None:
    text = canonical_markdown(
        "- [ ] Stop doing your old job:\n  - [x] Hand over the on-call\n"
    ).text
    assert text == "- Stop doing your old job:\n  - Hand over the on-call\n"


def test_images_go(styles: list[str]) -> None:
    text = "\n".join(styles)
    assert "calendar" not in text and "png" not in text
    assert text_of("Before ![logo](a.png) after.\n") == "Before after.\n"


def test_lists_nest_as_commonmark_nests_them(styles: list[str]) -> None:
    start = styles.index("- Career goals and the next step the report wants to take.")
    assert styles[start : start + 5] == [
        "- Career goals and the next step the report wants to take.",
        "- Blockers in current work:",
        "  - decisions waiting on someone else;",
        "  - missing information or access.",
        "- Feedback in both directions, using `start/stop/continue` notes.",
    ]
    assert styles[start + 5 : start + 8] == [
        "",
        "1) Send the agenda a day before.",
        "2) Keep **shared notes** that both people can edit.",
    ]
    assert text_of("* a\n\n    + b\n* c\n") == "- a\n  - b\n- c\n"
    assert text_of("3. a\n   - b\n4. c\n") == "3. a\n   - b\n4. c\n"
    assert text_of("- a\n-\n  - b\n") == "- a\n- b\n"  # an empty item nests nothing


def test_a_later_paragraph_of_an_item_follows_its_nested_list() -> None:
    source = "1. Lead\n\n   Ideas:\n\n   - one\n   - two\n\n   After.\n2. Next\n"
    assert text_of(source) == "1. Lead\n\n   Ideas:\n   - one\n   - two\n\n   After.\n2. Next\n"


def test_html_blocks_become_text_and_tables_rows(styles: list[str]) -> None:
    header = styles.index("| Role | Cadence | Length |")
    assert styles[header : header + 4] == [
        "| Role | Cadence | Length |",
        "| --- | --- | --- |",
        "| New hire | Weekly | 45 minutes |",
        "| Established report | Every two weeks | 30 minutes |",
    ]
    html = '<div class="note">\n<h3>Note</h3>\n<p>Ask <a href="/p">people</a>.</p>\n</div>\n'
    canonical = canonical_markdown(html)
    assert canonical.text == "### Note\n\nAsk people.\n"
    assert canonical.links == (("people", "/p"),)
    assert text_of("<ul>\n<li>a<ol><li>b</li></ol></li>\n</ul>\n") == "- a\n  1. b\n"
    assert text_of("<script>\nvar a = 1;\n</script>\n\nText.\n") == "Text.\n"


def test_markdown_tables_become_rows(styles: list[str]) -> None:
    header = styles.index("| Stage | First meeting |")
    assert styles[header : header + 4] == [
        "| Stage | First meeting |",
        "| --- | --- |",
        "| Week 1 | Introductions and *expectations* |",
        "| Month 3 | A review of the first goals |",
    ]
    assert text_of("| a | b |\n|---|---|\n| x \\| y | [z](u) |\n") == (
        "| a | b |\n| --- | --- |\n| x \\| y | z |\n"
    )


def test_blockquotes_become_their_text(styles: list[str]) -> None:
    assert (
        "Skip a meeting only when both people agree. Reschedule it rather than cancelling "
        "it outright."
    ) in styles
    assert not any(line.startswith(">") for line in styles)


def test_code_keeps_its_text_and_fences(styles: list[str]) -> None:
    fence = styles.index("```text")
    assert styles[fence : fence + 4] == ["```text", "# agenda", "- wins this week", "```"]
    headings = [h.text for h in markdown_headings("\n".join(styles))]
    assert "agenda" not in headings and "What to talk about" in headings
    assert text_of("    indented code\n") == "```\nindented code\n```\n"
    assert text_of("Use `` `x` `` and `{y}`.\n") == "Use `` `x` `` and `{y}`.\n"


def test_escapes_and_entities() -> None:
    assert text_of("\\# not a heading &amp; 3 &lt; 4 &copy;\n") == (
        "\\# not a heading & 3 &lt; 4 ©\n"
    )
    assert text_of("What about <role> and <b>bold</b>?\n") == "What about <role> and bold?\n"


def test_blocks_are_separated_by_one_blank_line() -> None:
    text = MarkdownReader().read(STYLES, "styles.md").text
    assert "\n\n\n" not in text and text.endswith("\n") and not text.startswith("\n")
    assert text_of("Para\n- item\n---\nNext\n") == "Para\n\n- item\n\nNext\n"


def test_canonical_text_reads_back_as_itself() -> None:
    once = MarkdownReader().read(STYLES, "styles.md").text
    assert text_of(once) == once


def test_canonical_markdown_guides_come_out_unchanged() -> None:
    guide = (
        "# Guide\n\nA paragraph.\n\n## Part\n\n- item\n  - nested\n\n"
        "| a | b |\n| --- | --- |\n| 1 | 2 |\n\n1. step **bold**\n2. step `code`"
    )
    assert normalise(text_of(guide)) == guide


def test_corpus_guides_parse_fast() -> None:
    guides = sorted(CORPORA.glob("*/guides/*.md"))
    assert guides
    texts = [path.read_text(encoding="utf-8") for path in guides]
    started = time.perf_counter()
    for text in texts:
        canonical_markdown(text)
    per_guide_ms = (time.perf_counter() - started) * 1000 / len(texts)
    assert per_guide_ms < 50, f"{per_guide_ms:.1f} ms per guide"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "file is empty"),
        (b"---\ntitle: Only\n---\n<!-- nothing -->\n{% include x %}\n", "has no text"),
        (b"\xff\xfe bad", "is not valid UTF-8"),
    ],
)
def test_unreadable_guides_say_why(tmp_path: Path, content: bytes, reason: str) -> None:
    guide = tmp_path / "guide.md"
    guide.write_bytes(content)
    with pytest.raises(GuideError) as caught:
        MarkdownReader().read(guide, "guides/guide.md")
    assert str(caught.value).startswith("guides/guide.md: " + reason)
    assert "—" in caught.value.problem  # says what to do


def test_a_missing_file_is_a_guide_error(tmp_path: Path) -> None:
    with pytest.raises(GuideError, match="cannot be read"):
        MarkdownReader().read(tmp_path / "gone.markdown", "gone.markdown")
