"""The coach's markdown as Slack mrkdwn, and Slack's text as the coach reads it."""

from __future__ import annotations

import pytest

from api.slack.mrkdwn import to_mrkdwn, to_plain


@pytest.mark.parametrize(
    ("markdown", "mrkdwn"),
    [
        ("Learn **Python** first [1].", "Learn *Python* first [1]."),
        ("It is *often* enough [2].", "It is _often_ enough [2]."),
        ("~~old~~ new", "~old~ new"),
        ("Run `pip install x`", "Run `pip install x`"),
        ("See [the docs](https://example.com/a?b=1).", "See <https://example.com/a?b=1|the docs>."),
        ("[click](javascript:alert(1))", "[click](javascript:alert(1))"),  # never a link
        ("[page](/relative/path)", "page"),
        ("## Timeline\nThree months [1].", "*Timeline*\n\nThree months [1]."),
        ("- one [1]\n- two [2]", "• one [1]\n• two [2]"),
        ("1. first\n2. second", "1. first\n2. second"),
        ("3. third\n4. fourth", "3. third\n4. fourth"),
        ("- outer\n  - inner", "• outer\n    • inner"),
        ("> quoted", "> quoted"),
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ("```\nx <y>\n```", "```\nx &lt;y&gt;\n```"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "a | b\n1 | 2"),
        ("[1]: not a link definition", "[1]: not a link definition"),
        ("![diagram](https://example.com/x.png)", "diagram"),
        ("Intro.\n\n- item", "Intro.\n\n• item"),
    ],
)
def test_markdown_becomes_mrkdwn(markdown: str, mrkdwn: str) -> None:
    assert to_mrkdwn(markdown) == mrkdwn


def test_citation_markers_survive_every_construct() -> None:
    text = "**Bold [1]**, _em [2]_, `code [3]`\n\n- item [4]\n\n## Head [5]"
    converted = to_mrkdwn(text)
    for n in range(1, 6):
        assert f"[{n}]" in converted


@pytest.mark.parametrize(
    ("slack", "plain"),
    [
        ("<@UBOT> How long does it take?", "How long does it take?"),
        ("How long <@UBOT>  does\nit take?", "How long does it take?"),
        ("Ask <@UOTHER> about it", "Ask @UOTHER about it"),
        ("Read <https://example.com|this page>", "Read this page"),
        ("Read <https://example.com>", "Read https://example.com"),
        ("In <#C123|general> <!here>", "In #general here"),
        ("a &lt; b &amp;&amp; c &gt; d", "a < b && c > d"),
        ("<@UBOT>", ""),
    ],
)
def test_slack_text_becomes_the_question(slack: str, plain: str) -> None:
    assert to_plain(slack, "UBOT") == plain
