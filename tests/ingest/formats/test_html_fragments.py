"""HTML blocks inside markdown guides: text, headings, items and rows; markup and scripts go."""

from __future__ import annotations

from ingest.formats.html_fragments import html_blocks, html_link_target, is_html_tag


def test_blocks_in_reading_order() -> None:
    links: list[tuple[str, str]] = []
    blocks = html_blocks(
        "<section>\n  <h2>Levels</h2>\n  Lead text <em>here</em>.\n"
        '  <p>See <a href="/levels">the levels</a>.<br>Then ask.</p>\n'
        '  <ol start="3"><li>Three<ul><li>nested</li></ul></li><li>Four</li></ol>\n'
        "  <table><thead><tr><th>Level</th><th>Scope</th></tr></thead>\n"
        "  <tbody><tr><td>L3</td><td>A team</td></tr></tbody></table>\n</section>\n",
        links,
    )
    assert blocks == [
        ["## Levels"],
        ["Lead text here."],
        ["See the levels. Then ask."],
        ["3. Three", "   - nested", "4. Four"],
        ["| Level | Scope |", "| --- | --- |", "| L3 | A team |"],
    ]
    assert links == [("the levels", "/levels")]


def test_comments_scripts_styles_and_images_go() -> None:
    blocks = html_blocks(
        '<div><!-- hidden --><script>var a = 1;</script><style>p {}</style><img alt="x" src="a">'
        "Kept.</div>",
        [],
    )
    assert blocks == [["Kept."]]
    assert html_blocks("<!-- only a comment -->\n", []) == []
    assert html_blocks("</details>\n", []) == []
    assert html_blocks("  \n", []) == []


def test_a_component_keeps_its_text() -> None:
    assert html_blocks("<Tabs><TabItem>Ask early.</TabItem></Tabs>\n", []) == [["Ask early."]]
    assert not is_html_tag("tabs") and is_html_tag("details") and is_html_tag("span")


def test_link_targets_of_inline_tags() -> None:
    assert html_link_target('<a class="x" href="https://x.org">') == "https://x.org"
    assert html_link_target("<a name=top>") == ""
