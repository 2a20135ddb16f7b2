"""Guides in every format ingest into one store and are answered with citations that say
where to look (the page, for a PDF), each quoted statement a whole unit of its guide."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest

from coach.embeddings import OnnxMiniLMEmbeddings
from coach.factory import Parts
from eval.whole_units import guide_blocks, is_whole
from tests.ingest.formats.test_pdf import PAGE_ONE, PAGE_TWO, write_pdf
from tests.support import build_parts, ingested_store

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
HTML_PAGE = FIXTURES / "handbook.html"
STYLES = FIXTURES / "styles.md"  # hard-wrapped, setext, front matter, shortcodes, tables


def write_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("Applying for jobs", style="Title")
    document.add_heading("Your CV", level=1)
    document.add_paragraph("Keep your CV to two pages and put your most recent role first.")
    document.add_heading("What to include", level=2)
    document.add_paragraph("Results with numbers, e.g. 20 % fewer support tickets.", "List Bullet")
    table = document.add_table(rows=3, cols=2)
    for row, cells in zip(
        table.rows, [("Step", "When"), ("Apply", "Week 1"), ("Interview", "Week 3")], strict=True
    ):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.save(str(path))
    return path


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory, embeddings: OnnxMiniLMEmbeddings):
    folder = tmp_path_factory.mktemp("mixed")
    guides = folder / "guides"
    guides.mkdir()
    write_pdf(guides / "interviews.pdf", [PAGE_ONE, PAGE_TWO])
    write_docx(guides / "applying.docx")
    shutil.copy(HTML_PAGE, guides / "one-on-ones.html")
    shutil.copy(STYLES, guides / "styles.md")
    (guides / "networking.txt").write_text(
        "Networking for a career change\n\n"
        "Reach out to two people a week who already work in the role you want.\n"
    )
    settings, store = ingested_store(guides, folder / ".coach", embeddings)
    parts = build_parts(settings, store, folder / "history.db")
    yield guides, parts
    parts.history.engine.dispose()


def test_every_format_lands_in_one_store(mixed: tuple[Path, Parts]) -> None:
    _, parts = mixed
    sources = {c.source for c in parts.store.all_chunks()}
    assert sources == {
        "interviews.pdf",
        "applying.docx",
        "one-on-ones.html",
        "networking.txt",
        "styles.md",
    }
    pages = {c.page for c in parts.store.all_chunks() if c.source == "interviews.pdf"}
    assert pages == {1, 2}
    assert all(c.page is None for c in parts.store.all_chunks() if c.source != "interviews.pdf")


@pytest.mark.parametrize(
    ("question", "source", "page"),
    [
        ("When should I send a thank-you note after an interview?", "interviews.pdf", 2),
        ("What should I research before an interview?", "interviews.pdf", 1),
        ("How long should my CV be?", "applying.docx", None),
        ("How often should a manager hold one-on-ones?", "one-on-ones.html", None),
        ("How many people should I reach out to when networking?", "networking.txt", None),
        ("How long should a one-on-one with a new hire be?", "styles.md", None),
        ("Why meet weekly instead of monthly?", "styles.md", None),
    ],
)
def test_each_format_is_answered_with_a_citation_saying_where(
    mixed: tuple[Path, Parts], question: str, source: str, page: int | None
) -> None:
    guides, parts = mixed
    answer = parts.coach.ask(question)
    assert not answer.refused, answer.answer
    cited = [c for c in answer.citations if c.source == source]
    assert cited, [c.source for c in answer.citations]
    assert cited[0].page == page
    if page:
        assert cited[0].place().endswith(f"(p. {page})")
    blocks = {p.name: guide_blocks(p) for p in guides.iterdir()}
    numbers = {c.id: c.source for c in answer.citations}
    for statement in answer.statements:
        cites = [blocks[numbers[n]] for n in statement.citations]
        assert is_whole(statement.text, cites), statement.text
