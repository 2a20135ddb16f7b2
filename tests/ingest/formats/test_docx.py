"""The Word reader on a python-docx document: Title, heading styles, a nested list, a table."""

from __future__ import annotations

import time
from pathlib import Path

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE

from ingest.errors import GuideError
from ingest.formats.docx import DocxReader

PARAGRAPH = (
    "A strong application answers the posting line by line, and it names the results you "
    "achieved rather than the duties you held."
)


@pytest.fixture
def guide(tmp_path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("Applying for jobs", style="Title")
    document.add_heading("Your CV", level=1)
    document.add_paragraph(PARAGRAPH)
    document.add_heading("What to include", level=2)
    document.add_paragraph("Recent roles, newest first.", style="List Bullet")
    document.add_paragraph("Results with numbers, e.g. 20 % fewer tickets.", style="List Bullet 2")
    document.add_paragraph("Education and training.", style="List Number")
    document.add_heading("Timeline", level=2)
    table = document.add_table(rows=3, cols=2)
    for row, cells in zip(
        table.rows, [("Step", "When"), ("Apply", "Week 1"), ("Interview", "Week 3")], strict=True
    ):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.add_paragraph("Follow up a week after each interview.")
    path = tmp_path / "applying.docx"
    document.save(str(path))
    return path


def test_headings_lists_and_table_in_document_order(guide: Path) -> None:
    started = time.perf_counter()
    canonical = DocxReader().read(guide, "applying.docx")
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert canonical.text == (
        "# Applying for jobs\n\n"
        "## Your CV\n\n"
        f"{PARAGRAPH}\n\n"
        "### What to include\n\n"
        "- Recent roles, newest first.\n"
        "  - Results with numbers, e.g. 20 % fewer tickets.\n"
        "- Education and training.\n\n"
        "### Timeline\n\n"
        "| Step | When |\n| --- | --- |\n| Apply | Week 1 |\n| Interview | Week 3 |\n\n"
        "Follow up a week after each interview.\n"
    )
    assert canonical.pages == ()
    assert elapsed_ms < 500, f"{elapsed_ms:.1f} ms for one document"


def test_without_a_title_heading_1_is_the_top_level(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Interviews", level=1)
    document.add_paragraph("Prepare three stories.")
    custom = document.styles.add_style("Tip Heading", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = document.styles["Heading 2"]
    document.add_paragraph("Stories that work", style="Tip Heading")
    document.add_paragraph("Pick a result you can measure.")
    path = tmp_path / "interviews.docx"
    document.save(str(path))
    assert DocxReader().read(path, "x").text == (
        "# Interviews\n\nPrepare three stories.\n\n## Stories that work\n\n"
        "Pick a result you can measure.\n"
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "file is empty"),
        (b"PK\x03\x04 this is not really a zip archive", "is not a readable Word document"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "is password-protected"),
    ],
)
def test_unreadable_documents_say_why(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.docx"
    path.write_bytes(content)
    with pytest.raises(GuideError) as caught:
        DocxReader().read(path, "guides/bad.docx")
    assert str(caught.value).startswith("guides/bad.docx: " + reason)
    assert "—" in caught.value.problem


def test_an_empty_document_says_so(tmp_path: Path) -> None:
    path = tmp_path / "empty.docx"
    docx.Document().save(str(path))
    with pytest.raises(GuideError, match="has no text"):
        DocxReader().read(path, "empty.docx")
