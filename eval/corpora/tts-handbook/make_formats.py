"""Write three of this corpus's guides in the other formats the coach reads.

    python eval/corpora/tts-handbook/make_formats.py [--out DIR]   # default: guides/

- ``development-and-training.html``: the guide as the handbook site would serve it, saved
  from a browser: a cookie banner, a header with a nav bar, a sidebar of links and a footer
  around the ``<main>`` content.
- ``leaving-tts-and-offboarding.docx``: a Word document with Title / Heading n styles,
  bulleted and numbered lists (nested ones on List Bullet 2 …), quotes and a table-free body.
- ``onboarding-overview.pdf``: a reportlab document with a running header and page
  numbers, headings set larger than the body, bullet lists.

The markdown is parsed with markdown-it-py (front matter, tables, footnotes); the Liquid
shortcodes are resolved as the published site resolves them (``{% page "/x/" %}`` becomes
the page's URL, ``{% slack_channel "c" "text" %}`` a link to the channel). Prose is not
changed: each output holds the same sentences as its source guide, so the golden set's key
facts hold for either. The outputs are deterministic (fixed document dates and metadata).
"""

from __future__ import annotations

import argparse
import datetime
import html
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
from docx.shared import Pt
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
)

HERE = Path(__file__).resolve().parent
GUIDES = HERE / "originals"  # the markdown these three were written from (not ingested)
SITE = "https://handbook.tts.gsa.gov"
FIXED_DATE = datetime.datetime(2026, 12, 7, tzinfo=datetime.UTC)

_PAGE = re.compile(r"\{%\s*page\s+\"([^\"]*)\"\s*%\}")
_SLACK = re.compile(r"\{%\s*slack_channel\s+\"([^\"]+)\"(?:\s+\"([^\"]+)\")?\s*%\}")
_TITLE = re.compile(r"^title:\s*[\"']?(.*?)[\"']?\s*$", re.MULTILINE)


def parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table").use(front_matter_plugin).use(footnote_plugin)


def resolve_shortcodes(text: str) -> str:
    """The Liquid tags as the published site renders them."""
    text = _PAGE.sub(lambda m: SITE + "/" + m.group(1).strip("/") + "/", text)

    def slack(m: re.Match[str]) -> str:
        return (
            f"[{m.group(2) or '#' + m.group(1)}](https://gsa-tts.slack.com/channels/{m.group(1)})"
        )

    return _SLACK.sub(slack, text)


def read_guide(name: str) -> tuple[str, list[Token], str]:
    """The guide's title, its block tokens and its source text (shortcodes resolved)."""
    source = resolve_shortcodes((GUIDES / name).read_text(encoding="utf-8"))
    tokens = parser().parse(source)
    matter = next((t.content for t in tokens if t.type == "front_matter"), "")
    found = _TITLE.search(matter)
    return (found.group(1) if found else Path(name).stem), tokens, source


# HTML -------------------------------------------------------------------------------------

PAGE_TEMPLATE = HERE / "page_template.html"  # str.format fields: title, site, body


def write_html(name: str, out: Path) -> Path:
    title, _, source = read_guide(name)
    body = parser().render(source).strip()
    page = PAGE_TEMPLATE.read_text(encoding="utf-8").format(
        title=html.escape(title), site=SITE, body=body
    )
    target = out / (Path(name).stem + ".html")
    target.write_text(page, encoding="utf-8")
    return target


# Inline text ------------------------------------------------------------------------------

Run = tuple[str, bool, bool]  # text, bold, italic


def inline_runs(token: Token) -> Iterator[Run]:
    """The runs of an inline token: soft breaks as spaces, hard breaks as newlines."""
    bold = italic = False
    for child in token.children or []:
        if child.type == "strong_open":
            bold = True
        elif child.type == "strong_close":
            bold = False
        elif child.type == "em_open":
            italic = True
        elif child.type == "em_close":
            italic = False
        elif child.type in ("text", "code_inline", "html_inline"):
            yield child.content, bold, italic
        elif child.type == "softbreak":
            yield " ", bold, italic
        elif child.type == "hardbreak":
            yield "\n", bold, italic


def plain(token: Token) -> str:
    return "".join(text for text, _, _ in inline_runs(token))


# DOCX -------------------------------------------------------------------------------------


def list_style(ordered: bool, depth: int) -> str:
    base = "List Number" if ordered else "List Bullet"
    return base if depth <= 1 else f"{base} {min(depth, 3)}"


def write_docx(name: str, out: Path) -> Path:
    title, tokens, _ = read_guide(name)
    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.author = "TTS Handbook (18F/handbook, CC0)"
    document.core_properties.created = FIXED_DATE
    document.core_properties.modified = FIXED_DATE
    document.styles["Normal"].font.size = Pt(11)
    document.add_paragraph(title, style="Title")
    lists: list[bool] = []  # ordered? per open list
    quote = 0
    for index, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            lists.append(token.type == "ordered_list_open")
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type == "blockquote_open":
            quote += 1
        elif token.type == "blockquote_close":
            quote -= 1
        elif token.type == "heading_open":
            level = int(token.tag[1]) - 1  # the guide's ## is the document's Heading 1
            document.add_heading(plain(tokens[index + 1]), level=max(1, level))
        elif token.type == "inline" and tokens[index - 1].type == "paragraph_open":
            style = list_style(lists[-1], len(lists)) if lists else "Quote" if quote else None
            paragraph = document.add_paragraph(style=style)
            for text, bold, italic in inline_runs(token):
                run = paragraph.add_run(text)
                run.bold, run.italic = bold or None, italic or None
        elif token.type in ("fence", "code_block"):
            document.add_paragraph(token.content.rstrip("\n"), style="No Spacing")
    target = out / (Path(name).stem + ".docx")
    document.save(str(target))
    fix_zip_times(target)
    return target


def fix_zip_times(path: Path) -> None:
    """Rewrite a .docx (a zip) with one fixed timestamp per entry, so reruns are identical."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, data)


# PDF --------------------------------------------------------------------------------------


def markup(token: Token) -> str:
    """Inline runs as reportlab paragraph markup."""
    parts = []
    for text, bold, italic in inline_runs(token):
        text = html.escape(text).replace("\n", "<br/>")
        if bold:
            text = f"<b>{text}</b>"
        if italic:
            text = f"<i>{text}</i>"
        parts.append(text)
    return "".join(parts)


def write_pdf(name: str, out: Path) -> Path:
    title, tokens, _ = read_guide(name)
    styles = getSampleStyleSheet()
    story: list[Flowable] = [Paragraph(html.escape(title), styles["Title"]), Spacer(1, 6)]
    lists: list[list[list[Flowable]]] = []  # per open list: its items, each its flowables

    def place(flowable: Flowable) -> None:
        (lists[-1][-1] if lists else story).append(flowable)

    for index, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            lists.append([])
        elif token.type == "list_item_open":
            lists[-1].append([])
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            items = [ListItem(flowables) for flowables in lists.pop()]
            place(ListFlowable(items, bulletType="bullet", start="\u2022", leftIndent=14))
        elif token.type == "heading_open":
            level = min(int(token.tag[1]), 4)
            place(Paragraph(markup(tokens[index + 1]), styles[f"Heading{level}"]))
        elif token.type == "inline" and tokens[index - 1].type == "paragraph_open":
            place(Paragraph(markup(token), styles["BodyText"]))

    def page_furniture(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(72, LETTER[1] - 40, "TTS Handbook \u2014 " + title)
        canvas.drawRightString(LETTER[0] - 72, 40, f"Page {doc.page}")
        canvas.restoreState()

    target = out / (Path(name).stem + ".pdf")
    pdf = SimpleDocTemplate(
        str(target), pagesize=LETTER, title=title, author="TTS Handbook", invariant=1
    )
    pdf.build(story, onFirstPage=page_furniture, onLaterPages=page_furniture)
    return target


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    cli.add_argument("--out", type=Path, default=HERE / "guides", help="output folder")
    args = cli.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in (
        write_html("development-and-training.md", args.out),
        write_docx("leaving-tts-and-offboarding.md", args.out),
        write_pdf("onboarding-overview.md", args.out),
    ):
        print(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)


if __name__ == "__main__":
    main()
