"""answer_html: markdown rendered, citations linked, everything else inert."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from api.render import ALLOWED_TAGS, render_answer
from coach.schema import Citation


def citations(*ids: int) -> list[Citation]:
    return [
        Citation(id=n, source="g.md", title="Guide", section="S", snippet="…", chunk_id=f"c{n}")
        for n in ids
    ]


def link(n: int) -> str:
    return f'<a class="cite" href="#cite-{n}" data-cite="{n}">[{n}]</a>'


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs += [(tag, name, value) for name, value in attrs]


def elements(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


def test_markers_become_links_for_known_citations() -> None:
    text = "Two to three months [1]. Or longer [2, 3], see [1][3]."
    html = render_answer(text, citations(1, 2, 3))
    assert html == (
        f"<p>Two to three months {link(1)}. Or longer {link(2)}{link(3)}, "
        f"see {link(1)}{link(3)}.</p>"
    )


def test_unknown_numbers_stay_text() -> None:
    html = render_answer("Known [1], unknown [7], mixed [1, 7].", citations(1))
    assert html == f"<p>Known {link(1)}, unknown [7], mixed {link(1)}[7].</p>"
    assert render_answer("No sources [1].") == "<p>No sources [1].</p>"


def test_markdown_lists_tables_and_code() -> None:
    text = "The guides give different figures:\n- One: 3-6 months [1]\n- Two: **2-3** months [2]"
    html = render_answer(text, citations(1, 2))
    assert html.startswith("<p>The guides give different figures:</p>\n<ul>\n<li>One")
    assert f"<strong>2-3</strong> months {link(2)}</li>" in html
    table = render_answer("| Role | Pay |\n|:--|--:|\n| Architect | $150k [1] |", citations(1))
    assert "<table>" in table and f"<td>$150k {link(1)}</td>" in table
    assert "style" not in table
    assert render_answer("`[1]` stays code", citations(1)) == "<p><code>[1]</code> stays code</p>"


def test_links_are_kept_safe() -> None:
    allowed = ["https://example.com", "https://example.org"]
    html = render_answer("[docs](https://example.com) and <https://example.org>", (), allowed)
    assert html.count('rel="nofollow noopener noreferrer"') == 2
    assert 'href="https://example.com"' in html
    assert "href" not in render_answer("[x](javascript:alert(1))")
    reference = render_answer("See [1].\n\n[1]: https://evil.example", citations(1))
    assert 'evil.example"' not in reference and link(1) in reference


def test_links_to_other_origins_are_text_naming_the_host() -> None:
    text = "[portal](https://evil.test/login) and <https://evil.test/a.exe> and [ok](https://example.com/a)"
    html = render_answer(text, (), ["https://example.com"])
    assert html.count("<a ") == 1 and 'href="https://example.com/a"' in html
    assert "portal (evil.test) and evil.test and" in html
    assert "<a " not in render_answer(text)  # no origin allowed: no link at all


PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=//evil></iframe>",
    "<svg onload=alert(1)>",
    "<div>\n<script>alert(1)</script>\n</div>",
    "![x](https://evil.example/pixel.png)",
    "[x](javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    '<a class="cite" href="#cite-1" data-cite="1" onclick="alert(1)">[1]</a>',
    "`<script>` **<b onmouseover=alert(1)>bold</b>**",
    "<!-- comment --><style>body{}</style>",
    "[1]<script>alert(1)</script>[2]",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_html_in_an_answer_is_inert(payload: str) -> None:
    html = render_answer(f"Intro [1]. {payload} end [2]", citations(1, 2))
    found = elements(html)
    assert found.tags <= ALLOWED_TAGS
    assert not {"script", "img", "iframe", "svg", "style"} & found.tags
    for tag, name, value in found.attrs:
        assert not name.startswith("on")
        assert (tag, name) in {("a", "href"), ("a", "class"), ("a", "data-cite"), ("a", "rel")}
        if name == "href":
            assert value and (value.startswith(("#cite-", "https://")))
    assert "<script" not in html and "<img" not in html


def test_every_rendered_tag_is_allowed() -> None:
    text = "# Title\n\n> quote [1]\n\n1. one\n2. two\n\n---\n\n```\ncode\n```\n\nline  \nbreak"
    found = elements(render_answer(text, citations(1)))
    assert found.tags <= ALLOWED_TAGS
    assert {"h1", "blockquote", "ol", "li", "hr", "pre", "code", "br", "a"} <= found.tags
